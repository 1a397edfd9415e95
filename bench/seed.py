"""Fill a PostgreSQL database with N cases (and 2 N persons) fast, for the benchmarks.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sop_bench .venv/bin/python bench/seed.py 100000

Uses bulk inserts (not the workflow), shaped as registration leaves them: the N cases are
registered on the Lumajang SPM SOP; besides, Solok and Palangka Raya are filled up to
SEED_OTHERS cases each (default 500; 0 for none), on one SOP of their own (Solok: bantuan orang
terlantar; Palangka Raya: motivasi anak dan keluarga), so that their desks have work too while
Lumajang keeps the scale asked. Each case's steps are laid out as the workflow lays them out
(workflow.desks_of, the parts of a shared step numbered), the case at a random current step
(past the signing step it is approved), its draft letters opened as registration opens them
(letters.templates_for) with the paraf of each Kasi, Kabid or Sekdin step already done — up to
the signing step only: an approved case has no letter at all (the seed issues none), the
agency's registration counter left at the last number, the agencies' signing keys set up
(`signing_keys setup`, under SIGNING_KEYS_DIR); NIK encrypted and blind-indexed as the
application stores them (never a valid NIK: the day digits are 00, so a NIK the soak registers
cannot clash with one).
"""

import os
import random
import secrets
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
# agency slug: (SOP slug, NIK province code)
SOPS = {
    "lumajang": ("lumajang-spm", "35"),
    "solok": ("solok-bantuan-orang-terlantar", "13"),
    "palangka-raya": ("palangka-raya-motivasi-anak-keluarga", "62"),
}


def main(count, others):
    from agencies.models import Agency
    from cases.models import Case

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    call_command("load_agencies", verbosity=0)
    call_command("load_sops", verbosity=0)
    call_command("load_letters", verbosity=0)
    call_command("create_demo_users", verbosity=0)
    # Each agency's CA and its officials' certificates, as an admin sets them up: the Kadis signs.
    call_command("signing_keys", "setup", verbosity=0)
    seed(Agency.objects.get(slug="lumajang"), count)
    for slug in ("solok", "palangka-raya"):
        agency = Agency.objects.get(slug=slug)
        missing = others - Case.objects.filter(agency=agency).count()
        if missing > 0:
            seed(agency, missing)
    with connection.cursor() as cursor:
        # As autovacuum leaves a table at rest: statistics, and the visibility map that lets the
        # inbox count from its index alone.
        cursor.execute("VACUUM ANALYZE")
    from cases.models import Person

    print(f"Selesai dalam {time.monotonic() - started:.0f} s: {Case.objects.count()} permohonan, "
          f"{Person.objects.count()} orang.")  # fmt: skip


def seed(agency, count):
    from agencies.desks import PARAF_DESKS
    from agencies.models import User
    from cases.crypto import blind_index
    from cases.letters import templates_for
    from cases.models import SIFAT_URGENCY, Case, CaseStep, IssuedDocument, Paraf, Person, RegistrationCounter, fold
    from cases.services import case_number
    from sop_catalog.models import SOP

    sop_slug, province = SOPS[agency.slug]
    sop = SOP.objects.get(slug=sop_slug, is_current=True)
    SOP.objects.filter(pk=sop.pk).update(locked=True)
    flow = sop.flows.order_by("order").first()
    layout, signs_at = layout_of(flow)
    initialling = User.objects.filter(username__in=[f"{agency.slug}-{desk}" for desk in PARAF_DESKS])
    users = {user.username.removeprefix(f"{agency.slug}-"): user for user in initialling}
    petugas = User.objects.get(username=f"{agency.slug}-petugas")
    probe = Case(agency=agency, sop=sop)
    templates = list(templates_for(probe))
    existing = Case.objects.filter(agency=agency).count()
    persons_before = Person.objects.filter(agency=agency).count()
    year = timezone.localtime().year
    counter, _ = RegistrationCounter.objects.get_or_create(agency=agency, year=year)
    last_number = max(counter.last, existing)
    print(f"{agency.slug}: {existing} permohonan sudah ada; menambah {count} ({sop.slug}) …", flush=True)
    rng = random.Random(f"{agency.slug}-{count}-{existing}")
    now = timezone.now()
    state_of = {"petugas": Case.AT_PETUGAS, "peksos": Case.AT_PETUGAS, "kasi": Case.AT_KASI,
                "kabid": Case.AT_KABID, "sekdin": Case.AT_SEKDIN, "kadis": Case.AT_KADIS}  # fmt: skip
    for first in range(0, count, BATCH):
        size = min(BATCH, count - first)
        with transaction.atomic():
            persons = []
            for n in range(persons_before + first * 2, persons_before + (first + size) * 2):
                nik = f"{province}{n:014d}"  # unique 16 digits; the benchmark needs uniqueness, not realism
                name = f"Warga Bench {n}"
                persons.append(
                    Person(agency=agency, nik=nik, nik_hash=blind_index(nik), name=name, name_folded=fold(name),
                           kk_number="", sex="L")
                )  # fmt: skip
            Person.objects.bulk_create(persons)
            cases, positions = [], []
            for i in range(size):
                at = rng.randrange(len(layout))
                positions.append(at)
                number = case_number(agency, year, last_number + first + i + 1)
                state = Case.APPROVED if signs_at is not None and at > signs_at else state_of[layout[at][1]]
                cases.append(
                    Case(agency=agency, number=number, sop=sop, flow=flow, applicant=persons[2 * i],
                         beneficiary=persons[2 * i + 1], purpose="bench", created_by=petugas,
                         registered_at=now, state=state)
                )  # fmt: skip
            Case.objects.bulk_create(cases)
            steps, currents, drafts, parafs = [], [], [], []
            for case, at in zip(cases, positions, strict=True):
                for position, (sop_step, desk, part) in enumerate(layout, start=1):
                    status = (
                        CaseStep.DONE if position - 1 < at else CaseStep.CURRENT if position - 1 == at else "pending"
                    )
                    steps.append(
                        CaseStep(case=case, sop_step=sop_step, position=position, no=sop_step.no, part=part,
                                 desk=desk, status=status, started_at=now if status != "pending" else None,
                                 completed_at=now if status == CaseStep.DONE else None,
                                 due_at=now + timezone.timedelta(hours=rng.randrange(-48, 48)))
                    )  # fmt: skip
                # Up to the signing step, the draft letters; an approved case (past it) gets no letter
                # at all: the seed issues none, neither numbered nor signed.
                if signs_at is None or at <= signs_at:
                    initialled = {desk for _s, desk, _p in layout[:at] if desk in PARAF_DESKS}
                    for template in templates:
                        draft = IssuedDocument(case=case, template=template, title=template.title,
                                               token=secrets.token_urlsafe(32))  # fmt: skip
                        drafts.append(draft)
                        parafs += [(draft, desk) for desk in sorted(initialled)]
            CaseStep.objects.bulk_create(steps)
            IssuedDocument.objects.bulk_create(drafts)
            Paraf.objects.bulk_create(Paraf(document=d, desk=desk, user=users[desk], at=now) for d, desk in parafs)
            for case, offset in zip(cases, range(0, len(steps), len(layout)), strict=True):
                current = next(s for s in steps[offset : offset + len(layout)] if s.status == CaseStep.CURRENT)
                case.current_step_id = current.pk
                case.queue_desk, case.queue_since = current.desk, current.started_at  # as Case.save() keeps them
                case.queue_rank = SIFAT_URGENCY[case.sifat]
                currents.append(case)
            Case.objects.bulk_update(currents, ["current_step", "queue_desk", "queue_rank", "queue_since"])
        print(f"  {first + size}/{count} permohonan …", flush=True)
    RegistrationCounter.objects.filter(pk=counter.pk).update(last=last_number + count)


def layout_of(flow):
    """[(SOP step, desk, part)] as registration lays a case's steps out (workflow.lay_out), and the
    place of the signing step in it (workflow.signing_step), None when the flow signs nothing."""
    from cases.workflow import lay_out, signing_step

    rows = lay_out(None, flow)
    signer = signing_step(None, rows)
    layout = [(row.sop_step, row.desk, row.part) for row in rows]
    return layout, None if signer is None else rows.index(signer)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000, int(os.environ.get("SEED_OTHERS", "500")))
