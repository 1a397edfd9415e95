"""A change to an SOP or any of its parts drops its cached public PDF; a copy announces itself."""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import Signal, receiver
from django.utils import timezone

from sop_catalog import models
from sop_catalog.printing import forget_sop_pdf

log = logging.getLogger(__name__)

# Sent when an SOP is written as a copy of another (a new version, or a copy to another agency):
# sender=SOP, sop=the copy, source=the SOP it was copied from. Data kept outside the SOP's own
# tables (the register checks of its steps) follows the copy through it.
sop_copied = Signal()

PARTS = (
    models.SOP,
    models.LegalBasis,
    models.Qualification,
    models.Equipment,
    models.RelatedSOP,
    models.RequiredDocument,
    models.Role,
    models.Flow,
    models.Step,
    models.Branch,
)


# Inside one_drop_per_sop(): the SOPs whose parts were written, and the SOP of each flow and step
# already looked up (a batch writes many steps of one flow).
_batch = threading.local()


def _cached_parent(instance, name):
    """The parent row the instance already holds (it was made or read with it), or None: no query."""
    return instance._state.fields_cache.get(name)


def _sop_id(instance):
    if isinstance(instance, models.SOP):
        return instance.pk
    # The parents the instance holds, when they are the rows its ids name: an import or a copy makes
    # each step with its flow and each branch with its step in hand, so most rows need no lookup.
    if isinstance(instance, models.Step):
        flow = _cached_parent(instance, "flow")
        if flow is not None and flow.pk == instance.flow_id and flow.sop_id is not None:
            return flow.sop_id
    elif isinstance(instance, models.Branch):
        step = _cached_parent(instance, "step")
        flow = _cached_parent(step, "flow") if step is not None and step.pk == instance.step_id else None
        if flow is not None and flow.pk == step.flow_id and flow.sop_id is not None:
            return flow.sop_id
    known = getattr(_batch, "parents", None)
    # By ids: in a cascade delete the parent row may already be gone.
    if isinstance(instance, models.Step):
        key = ("flow", instance.flow_id)
        query = models.Flow.objects.filter(pk=instance.flow_id).values_list("sop_id", flat=True)
    elif isinstance(instance, models.Branch):
        key = ("step", instance.step_id)
        query = models.Step.objects.filter(pk=instance.step_id).values_list("flow__sop_id", flat=True)
    else:
        return instance.sop_id
    if known is None:
        return query.first()
    if key not in known:
        known[key] = query.first()
    return known[key]


@contextmanager
def one_drop_per_sop() -> Iterator[None]:
    """Write many parts of SOPs (an import, a new version, a copy) and drop each SOP's cached PDF
    once when the block ends, not once per row: the same end state as row by row, in a few
    statements. Nested blocks join the outermost; a block that raises drops nothing (its writes
    roll back with it)."""
    if getattr(_batch, "sops", None) is not None:
        yield
        return
    _batch.sops, _batch.parents = set(), {}
    try:
        yield
        sops = _batch.sops
    finally:
        _batch.sops = _batch.parents = None
    if sops:
        models.SOP.objects.filter(pk__in=sops).update(updated_at=timezone.now())
    for sop_id in sorted(sops):
        _forget(sop_id)


def _forget(sop_id):
    forget_sop_pdf(sop_id)
    if settings.SOP_PDF_PRERENDER:
        transaction.on_commit(lambda: prerender(sop_id))


def drop_cached_pdf(sender, instance, **kwargs):
    sop_id = _sop_id(instance)
    if sop_id is None:
        return
    batched = getattr(_batch, "sops", None)
    if batched is not None:
        batched.add(sop_id)
        # A flow or step written in the batch may have moved: look its SOP up again next time.
        if sender is models.Flow:
            _batch.parents.pop(("flow", instance.pk), None)
        elif sender is models.Step:
            _batch.parents.pop(("step", instance.pk), None)
        return
    if sender is not models.SOP:
        # The SOP's own save raises it (auto_now); the cached page and PDF are keyed by it.
        models.SOP.objects.filter(pk=sop_id).update(updated_at=timezone.now())
    _forget(sop_id)


# Connected for the SOP's parts only: a save of any other row (a case, a step of a case, a notice)
# does not pass through here at all.
for _part in PARTS:
    post_save.connect(drop_cached_pdf, sender=_part, dispatch_uid=f"sop-pdf-save-{_part.__name__}")
    post_delete.connect(drop_cached_pdf, sender=_part, dispatch_uid=f"sop-pdf-delete-{_part.__name__}")


def prerender(sop_id):
    """Queue the rendering of a public SOP's PDF, once per SOP however many of its parts changed."""
    from sop_catalog.tasks import render_sop_pdf  # noqa: PLC0415  (the tasks module imports the printing)

    try:
        if cache.add(f"sop-pdf-queued:{sop_id}", 1, timeout=60):
            render_sop_pdf.enqueue(sop_id)
    except Exception:  # a saved SOP is not an error page: the first request renders the PDF instead
        log.exception("PDF SOP %s tidak dapat dimasukkan ke antrean tugas", sop_id)


@receiver(m2m_changed, sender=models.Step.actors.through)
def drop_cached_pdf_on_actors(sender, instance, **kwargs):
    if isinstance(instance, models.Step):
        drop_cached_pdf(models.Step, instance)
