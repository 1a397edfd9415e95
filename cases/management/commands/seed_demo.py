"""Demo cases in every state, with realistic step times, for dashboards and reports."""

import datetime
import random

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from agencies import org
from agencies.models import User
from cases import selectors, services, workflow
from cases.calendar import OfficeCalendar
from cases.crypto import blind_index
from cases.models import Case, CaseStep, Person, SurveyResponse
from sop_catalog.models import SOP, BranchAction

FIRST = ["Siti", "Ahmad", "Sri", "Budi", "Dewi", "Agus", "Nur", "Rina", "Slamet", "Wahyuni", "Hadi", "Sumiati"]
LAST = ["Aminah", "Santoso", "Rahayu", "Hidayat", "Lestari", "Saputra", "Handayani", "Kurniawan", "Wati", "Prasetyo"]
REGION = {"lumajang": "350801", "palangka-raya": "627101", "solok": "130201"}
MINUTES = {"minute": 1, "hour": 60, "workday": 8 * 60, "day": 24 * 60, "week": 7 * 24 * 60, "month": 30 * 24 * 60}
OUTCOMES = [
    ("completed", 45), ("open", 30), ("rejected", 6), ("cancelled", 5),
    ("returned", 5), ("waiting", 6), ("draft", 3),
]  # fmt: skip


def desk_user(users, case, found=None):
    """The demo account at the case's desk for its SOP's bidang (lumajang-kasi for the SPM,
    lumajang-kasi-rehsos for a rehabilitation SOP …): cases spread over the bidang as routing says.
    `found`, a dict kept by the caller, remembers the answer per agency, desk and unit."""
    desk, unit = case.current_step.desk, case.sop.org_unit_id
    key = (case.agency_id, desk, unit)
    if found is not None and key in found:
        return found[key]
    names = [f"{case.agency.slug}-{desk}"] + sorted(n for n in users if n.startswith(f"{case.agency.slug}-{desk}-"))
    for name in names:
        if name in users and org.serves(users[name], desk, unit):
            if found is not None:
                found[key] = users[name]
            return users[name]
    raise CommandError(f"Tidak ada pengguna demo di meja {desk} untuk {case.sop.name}: jalankan create_demo_users.")


class Command(BaseCommand):
    help = "Membuat permohonan contoh di setiap SOP dan setiap status, dengan waktu langkah yang realistis."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=100, help="jumlah permohonan (bawaan 100)")
        parser.add_argument("--agency", help="kode URL instansi; bawaan semua instansi")
        parser.add_argument("--seed", type=int, default=2026, help="benih acak agar hasilnya dapat diulang")
        parser.add_argument("--if-empty", action="store_true", help="lewati bila sudah ada permohonan")

    def handle(self, *args, cases, agency=None, seed, if_empty, **options):
        if if_empty and Case.objects.exists():
            self.stdout.write("Sudah ada permohonan; data contoh tidak dibuat lagi.")
            return
        if cases < 1:
            raise CommandError("--cases harus 1 atau lebih.")
        sops = list(
            SOP.objects.filter(is_current=True, status=SOP.ACTIVE, flows__steps__isnull=False)
            .select_related("agency")
            .distinct()
        )
        if agency:
            sops = [sop for sop in sops if sop.agency.slug == agency]
        if not sops:
            raise CommandError("Tidak ada SOP aktif: jalankan load_sops dulu.")
        users = {user.username: user for user in User.objects.filter(username__contains="-")}
        missing = {f"{sop.agency.slug}-petugas" for sop in sops} - set(users)
        if missing:
            raise CommandError("Pengguna demo belum ada: jalankan create_demo_users dulu.")
        rng = random.Random(seed)
        # Read once per run: each SOP's flows, and the demo account at each desk (per unit).
        self.flows = {sop.pk: list(sop.flows.order_by("order")) for sop in sops}
        self.desk_users = {}
        made = {}
        for index in range(cases):
            sop = sops[index % len(sops)] if index < len(sops) else rng.choice(sops)
            outcome = rng.choices([o for o, _ in OUTCOMES], weights=[w for _, w in OUTCOMES])[0]
            state = self.make_case(rng, sop, outcome, users, index)
            made[state] = made.get(state, 0) + 1
            if (index + 1) % 10 == 0 or index + 1 == cases:
                self.stdout.write(f"  {index + 1}/{cases} permohonan dibuat …")
        summary = ", ".join(f"{dict(Case.STATE_CHOICES)[s]}: {n}" for s, n in sorted(made.items()))
        self.stdout.write(f"Selesai. {summary}")

    @transaction.atomic
    def make_case(self, rng, sop, outcome, users, index):
        petugas = users[f"{sop.agency.slug}-petugas"]
        case = self.open_case(rng, sop, self.person(rng, sop.agency, petugas, index), petugas)
        if outcome == "draft":
            return Case.DRAFT
        for document in case.documents.all():
            services.receive_document(document=document, user=petugas)
        # register_case reads the draft again under its row lock (with the flow chosen above).
        case = services.register_case(case=case, user=petugas)
        self.walk(rng, case, outcome, users, petugas)
        case = Case.objects.select_related("agency").get(pk=case.pk)
        self.backdate(rng, case)
        if case.state == Case.COMPLETED and rng.random() < 0.6:
            scores = {f"u{i}": rng.choices([2, 3, 4], weights=[1, 5, 3])[0] for i in range(1, 10)}
            SurveyResponse.objects.create(case=case, **scores)
        return case.state

    @staticmethod
    def person(rng, agency, petugas, index):
        born = datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365 * 60))
        female = rng.random() < 0.5
        nik = f"{REGION.get(agency.slug, '350801')}{born.day + (40 if female else 0):02d}{born:%m%y}{index + 1:04d}"
        return Person.objects.filter(agency=agency, nik_hash=blind_index(nik)).first() or services.create_person(
            agency=agency,
            user=petugas,
            data={
                "nik": nik,
                "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "birth_place": agency.region.replace("Kabupaten ", "").replace("Kota ", ""),
                "birth_date": born,
                "sex": Person.FEMALE if female else Person.MALE,
                "address": f"Jl. Contoh No. {rng.randrange(1, 200)}",
                "village": "Desa Contoh",
                "district": "Kecamatan Contoh",
            },
        )

    def open_case(self, rng, sop, person, petugas):
        case = services.open_case(
            user=petugas,
            sop=sop,
            applicant=person,
            beneficiary=person,
            channel=rng.choice(["datang", "datang", "surat", "laporan"]),
            purpose=f"Permohonan contoh untuk {sop.name[:80].lower()}",
            sifat=rng.choice(["biasa"] * 6 + ["segera", "sangat_segera"]),
        )
        flows = self.flows[sop.pk]
        if len(flows) > 1:
            services.choose_flow(case=case, user=petugas, flow=rng.choice(flows))
        return case

    def walk(self, rng, case, outcome, users, petugas):
        """Complete steps until the outcome asks to stop: open, waiting, rejected stop part-way.

        Each step as the case page's button completes it (cases.views.case_complete): the case read
        once under its row lock with its steps, then complete_step on it (locked=True)."""
        case = selectors.case_for_action(pk=case.pk, agency_id=case.agency_id, lock=True)
        total = len(case.steps.all())
        stop_after = rng.randrange(0, max(1, total - 1)) if outcome in ("open", "waiting", "rejected") else total + 1
        for _ in range(total + 5):
            if case.state in Case.CLOSED_STATES or case.current_step is None:
                return
            if self.stop_early(case, outcome, petugas):
                return
            step = case.current_step
            user = desk_user(users, case, self.desk_users)
            if sum(s.status == CaseStep.DONE for s in case.steps.all()) >= stop_after:
                self.park(case, step, user, outcome)
                return
            workflow.complete_step(
                case=case,
                locked=True,
                user=user,
                step_id=step.pk,
                branch=self.forward_branch(step),
                note="",
                disposition={"instructions": ["Untuk diproses"]},
            )
            case = selectors.case_for_action(pk=case.pk, agency_id=case.agency_id, lock=True)

    @staticmethod
    def stop_early(case, outcome, petugas):
        if outcome == "cancelled":
            workflow.cancel(case=case, user=petugas, reason="Pemohon mencabut permohonan")
            return True
        if outcome == "returned" and case.current_step.desk == "petugas" and case.documents.exists():
            case.documents.filter(required=True).update(received=False)
            services.return_to_applicant(case=case, user=petugas, note="Berkas belum lengkap")
            return True
        return False

    @staticmethod
    def park(case, step, user, outcome):
        if outcome == "waiting":
            workflow.wait_external(
                case=case, user=user, step_id=step.pk, waiting_for="Menunggu jawaban instansi terkait"
            )
        elif outcome == "rejected" and step.desk not in ("petugas", "peksos"):
            workflow.reject(case=case, user=user, step_id=step.pk, reason="Tidak memenuhi syarat")

    @staticmethod
    def forward_branch(step):
        branches = list(step.sop_step.branches.all())
        if not branches:
            return ""
        for branch in branches:
            if branch.action in (BranchAction.NEXT, BranchAction.END):
                return branch.label
        ahead = [b for b in branches if b.action == BranchAction.STEP and b.step_no > step.no]
        return (ahead or branches)[0].label

    @staticmethod
    def backdate(rng, case):
        """Spread the case over the last 90 days: each step takes its standard times a random factor."""
        calendar = OfficeCalendar(case.agency)
        day = timezone.localdate() - datetime.timedelta(days=rng.randrange(2, 90))
        cursor = datetime.datetime.combine(day, datetime.time(8, 30), tzinfo=calendar.zone)
        cursor += datetime.timedelta(minutes=rng.randrange(0, 300))
        registered = cursor
        last_done = since = None
        changed = []
        for step in case.steps.select_related("sop_step").order_by("position"):
            if step.status not in (CaseStep.DONE, CaseStep.CURRENT):
                continue
            changed.append(step)
            sop_step = step.sop_step
            step.started_at = cursor
            step.due_at = calendar.due(cursor, sop_step.time_max, sop_step.time_unit)
            if step.status == CaseStep.DONE:
                standard = float(sop_step.time_max) * MINUTES[sop_step.time_unit] if sop_step.time_max else 60
                taken = standard * rng.lognormvariate(-0.35, 0.7)
                step.completed_at = cursor + datetime.timedelta(minutes=max(1.0, taken))
                cursor = step.completed_at + datetime.timedelta(minutes=rng.randrange(1, 90))
                last_done = step.completed_at
            if step.pk == case.current_step_id:
                since = step.started_at
        CaseStep.objects.bulk_update(changed, ["started_at", "due_at", "completed_at"])
        closed = last_done if case.state in Case.CLOSED_STATES else None
        Case.objects.filter(pk=case.pk).update(
            created_at=registered,
            registered_at=registered,
            closed_at=closed or case.closed_at,
            queue_since=since if case.queue_desk else None,
        )
