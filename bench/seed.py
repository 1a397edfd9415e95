"""Fill a PostgreSQL database with N cases (and 2 N persons) fast, for the benchmarks.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sop_bench .venv/bin/python bench/seed.py 100000

Uses bulk inserts (not the workflow): every case is registered on the Lumajang SPM SOP, its steps
laid out as the workflow lays them out, spread over the desks and states, with NIK encrypted and
blind-indexed as the application stores them.
"""

import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sop_portal.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

BATCH = 2000


def main(count):
    from agencies.models import Agency, User
    from cases.crypto import blind_index
    from cases.models import SIFAT_URGENCY, Case, CaseStep, Person, fold
    from cases.workflow import desks_of
    from sop_catalog.models import SOP

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    call_command("load_agencies", verbosity=0)
    call_command("load_sops", verbosity=0)
    call_command("load_letters", verbosity=0)
    call_command("create_demo_users", verbosity=0)
    agency = Agency.objects.get(slug="lumajang")
    sop = SOP.objects.get(slug="lumajang-spm", is_current=True)
    SOP.objects.filter(pk=sop.pk).update(locked=True)
    flow = sop.flows.get()
    layout = [(s, desk) for s in flow.steps.prefetch_related("actors").order_by("no") for desk in desks_of(s)]
    petugas = User.objects.get(username="lumajang-petugas")
    existing = Case.objects.filter(agency=agency).count()
    print(f"{existing} permohonan sudah ada; menambah {count} …", flush=True)
    rng = random.Random(count)
    now = timezone.now()
    for first in range(existing, existing + count, BATCH):
        size = min(BATCH, existing + count - first)
        with transaction.atomic():
            persons = []
            for n in range(first * 2, (first + size) * 2):
                nik = f"35{n:014d}"  # unique 16 digits; the benchmark needs uniqueness, not realism
                name = f"Warga Bench {n}"
                persons.append(
                    Person(agency=agency, nik=nik, nik_hash=blind_index(nik), name=name, name_folded=fold(name),
                           kk_number="", sex="L")
                )  # fmt: skip
            Person.objects.bulk_create(persons)
            state_of = {"petugas": Case.AT_PETUGAS, "peksos": Case.AT_PETUGAS, "kasi": Case.AT_KASI,
                        "kabid": Case.AT_KABID, "sekdin": Case.AT_SEKDIN, "kadis": Case.AT_KADIS}  # fmt: skip
            cases, positions = [], []
            for i in range(size):
                at = rng.randrange(len(layout))
                positions.append(at)
                number = f"LMJ/2026/{first + i + 1:06d}"
                cases.append(
                    Case(agency=agency, number=number, sop=sop, flow=flow, applicant=persons[2 * i],
                         beneficiary=persons[2 * i + 1], purpose="bench", created_by=petugas,
                         registered_at=now, state=state_of[layout[at][1]])
                )  # fmt: skip
            Case.objects.bulk_create(cases)
            steps, currents = [], []
            for case, at in zip(cases, positions, strict=True):
                for position, (sop_step, desk) in enumerate(layout, start=1):
                    status = (
                        CaseStep.DONE if position - 1 < at else CaseStep.CURRENT if position - 1 == at else "pending"
                    )
                    steps.append(
                        CaseStep(case=case, sop_step=sop_step, position=position, no=sop_step.no, desk=desk,
                                 status=status, started_at=now if status != "pending" else None,
                                 completed_at=now if status == CaseStep.DONE else None,
                                 due_at=now + timezone.timedelta(hours=rng.randrange(-48, 48)))
                    )  # fmt: skip
            CaseStep.objects.bulk_create(steps)
            for case, offset in zip(cases, range(0, len(steps), len(layout)), strict=True):
                current = next(s for s in steps[offset : offset + len(layout)] if s.status == CaseStep.CURRENT)
                case.current_step_id = current.pk
                case.queue_desk, case.queue_since = current.desk, current.started_at  # as Case.save() keeps them
                case.queue_rank = SIFAT_URGENCY[case.sifat]
                currents.append(case)
            Case.objects.bulk_update(currents, ["current_step", "queue_desk", "queue_rank", "queue_since"])
        print(f"  {first + size - existing}/{count} permohonan …", flush=True)
    with connection.cursor() as cursor:
        # As autovacuum leaves a table at rest: statistics, and the visibility map that lets the
        # inbox count from its index alone.
        cursor.execute("VACUUM ANALYZE")
    print(f"Selesai dalam {time.monotonic() - started:.0f} s: {Case.objects.count()} permohonan, "
          f"{Person.objects.count()} orang.")  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
