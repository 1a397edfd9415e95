"""Fixture loaders that never overwrite an admin's work.

Each loaded row is recorded (agencies.models.LoadedRow) with a fingerprint of its state right
after the load. A later run reads the row again:

- missing: it is created (and recorded);
- its fingerprint differs from the recorded one: an admin changed it since it was loaded, and it is
  left alone ("dilewati: diubah admin sejak dimuat");
- never recorded and different from the fixture (made by hand, or loaded before the records
  existed): left alone too ("dilewati: tidak dimuat dari fixture dan berbeda");
- otherwise it is brought to the fixture's values when they differ, and recorded again.
"""

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import models

from agencies.models import LoadedRow

State = dict[str, Any]
CHANGED = "diubah admin sejak dimuat"
UNKNOWN = "tidak dimuat dari fixture dan berbeda"


def fingerprint(state: State) -> str:
    text = json.dumps(state, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _same(state: State, incoming: State) -> bool:
    """The state holds the fixture's values (the state may hold more: a password hash, say)."""
    return all(state.get(key) == value for key, value in incoming.items())


def _read_row(manager: "models.Manager[Any]", lookup: State, fields: list[str]) -> State | None:
    return manager.filter(**lookup).values(*fields).first()


class Loader:
    """One kind of fixture row (e.g. "agency", "sop"); counts outcomes and names skipped rows."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.records = dict(LoadedRow.objects.filter(kind=kind).values_list("key", "fingerprint"))
        self.counts: Counter[str] = Counter()
        self.skipped: list[tuple[str, str]] = []

    def load(
        self,
        key: str,
        *,
        incoming: State,
        read: Callable[[], State | None],
        write: Callable[[], object],
        reread: bool = True,
    ) -> str:
        """Create or update one row unless an admin changed it; returns the outcome.

        With reread=False a row written is not read back here: the caller reads the rows it wrote
        together and records each one's state (record)."""
        state = read()
        recorded = self.records.get(key)
        if state is None:
            outcome = "created"
        elif recorded is not None and fingerprint(state) != recorded:
            return self._skip(key, CHANGED)
        elif recorded is None and not _same(state, incoming):
            return self._skip(key, UNKNOWN)
        elif _same(state, incoming):
            outcome = "unchanged"
        else:
            outcome = "updated"
        self.counts[outcome] += 1
        if outcome != "unchanged":
            write()
            if not reread:
                return outcome
            state = read()
        self.record(key, state)
        return outcome

    def record(self, key: str, state: State | None) -> None:
        """Keep the fingerprint of the row as loaded (its state just read; None: nothing to keep)."""
        if state is None:
            return
        stamp = fingerprint(state)
        if self.records.get(key) != stamp:
            # One upsert (INSERT … ON CONFLICT DO UPDATE) instead of update_or_create's savepoint,
            # locking read and write.
            LoadedRow.objects.bulk_create(
                [LoadedRow(kind=self.kind, key=key, fingerprint=stamp)],
                update_conflicts=True,
                unique_fields=["kind", "key"],
                update_fields=["fingerprint", "loaded_at"],
            )
            self.records[key] = stamp

    def load_row(self, key: str, model: type[models.Model], lookup: State, values: State) -> str:
        """load() for a row found by `lookup` whose loaded fields are `values` (update_or_create)."""
        manager = model._default_manager
        return self.load(
            key,
            incoming=values,
            read=partial(_read_row, manager, lookup, list(values)),
            write=partial(manager.update_or_create, defaults=values, **lookup),
        )

    def _skip(self, key: str, why: str) -> str:
        self.skipped.append((key, why))
        self.counts["skipped"] += 1
        return "skipped"

    def summary(self) -> str:
        c = self.counts
        return (
            f"baru {c['created']}, diperbarui {c['updated']}, tidak berubah {c['unchanged']}, dilewati {c['skipped']}"
        )

    def skipped_lines(self) -> list[str]:
        return [f"  {self.kind} {key}: dilewati: {why}" for key, why in self.skipped]


def report(stdout, label: str, loaders: list[Loader]) -> None:
    """Print each loader's counts, then every skipped row (a management command's output)."""
    for loader in loaders:
        stdout.write(f"{label} — {loader.kind}: {loader.summary()}")
        for line in loader.skipped_lines():
            stdout.write(line)
