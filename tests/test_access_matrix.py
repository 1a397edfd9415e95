"""Every URL × every demo user (and anonymous) → the expected status code."""

import json
import re
from collections import defaultdict
from pathlib import Path
from unittest.mock import MagicMock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import get_resolver

from agencies.desks import DESKS, NIK_DESKS
from agencies.models import Agency
from cases import letters, pki, services, workflow
from cases.documents import disposition_pdf
from cases.models import Case, Disposition, IssuedDocument, RecapJob
from sop_catalog.models import SOP
from sop_catalog.services import import_sops
from tests.conftest import give_all_documents
from tests.factories import PersonFactory
from tests.files import BLANK_PDF
from tests.pdf_once import layout_once

DATA = Path(__file__).parent / "data"
ALL = [desk for desk, _ in DESKS]
FRONT = ["petugas", "peksos"]
REPORT = ["kasi", "kabid", "sekdin", "kadis", "admin"]
SIGNERS = ["kadis", "sekdin"]


def walk_until(case, users, stop):
    while Case.objects.get(pk=case.pk).state not in stop:
        case = Case.objects.get(pk=case.pk)
        step = case.current_step
        branch = "Ya" if step.sop_step.branches.exists() else ""
        workflow.complete_step(
            case=case,
            user=users[f"lumajang-{step.desk}"],
            step_id=step.pk,
            branch=branch,
            disposition={"instructions": ["Untuk diproses"]},
            render_disposition=disposition_pdf,
        )
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def world(demo_users):
    return build_world(demo_users)


def build_world(demo_users):
    """A case in each situation the matrix asks about (also the phone pages of tests/browser/test_office_speed.py)."""
    import_sops(json.loads((DATA / "dispose_sop.json").read_text(encoding="utf-8")))
    petugas = demo_users["lumajang-petugas"]
    person = PersonFactory()

    def new_case(slug):
        case = services.open_case(
            user=petugas, sop=SOP.objects.get(slug=slug, is_current=True), applicant=person, beneficiary=person,
            channel="datang", purpose="uji akses",
        )  # fmt: skip
        give_all_documents(case, petugas)
        first = case.documents.first()
        if first is not None:
            upload = SimpleUploadedFile("a.pdf", BLANK_PDF)
            services.receive_document(document=first, user=petugas, upload=upload)
        return services.register_case(case=case, user=petugas)

    signed = walk_until(new_case("lumajang-spm"), demo_users, {Case.APPROVED})
    returned = new_case("lumajang-spm")
    returned.documents.update(received=False)
    services.return_to_applicant(case=returned, user=petugas)
    rejected = new_case("lumajang-spm")
    workflow.reject(case=rejected, user=petugas, step_id=rejected.current_step_id, reason="uji")
    disposed = walk_until(new_case("lumajang-uji-disposisi"), demo_users, {Case.AT_KABID})
    draft_case = new_case("lumajang-spm")
    issued = IssuedDocument.objects.get(case=signed, status=IssuedDocument.ISSUED)
    draft = IssuedDocument.objects.get(case=draft_case, status=IssuedDocument.DRAFT)
    spm = SOP.objects.get(slug="lumajang-spm", is_current=True)
    lumajang = Agency.objects.get(slug="lumajang")
    if not pki.has_ca(lumajang):  # the keys folder lives for the session (tests/settings.py)
        pki.setup(lumajang)
    return {
        "spm": spm,
        "spm_flow": spm.flows.order_by("order").first(),
        "person": person,
        "signed": signed,
        "returned": returned,
        "rejected": rejected,
        "disposition": Disposition.objects.get(case=disposed),
        "issued": issued,
        "draft": draft,
        "draft_case": draft_case,
        "document": signed.documents.exclude(file="").first(),
        "letters": letters,
        "recap_job": RecapJob.objects.create(
            agency=petugas.agency,
            user=petugas,
            sop=signed.sop,
            district="Tempeh",
            token_digest="0" * 64,
            total=0,
            finished_at=signed.created_at,
        ),
    }


# name: (method, path builder, {who: status}); who is "anon", "own:<desk>" or "other:<desk>".
def expected(own=(), own_status=200, other=None, anon=302, refused=403, other_status=None):
    result = {"anon": anon}
    for desk in ALL:
        result[f"own:{desk}"] = own_status if desk in own else refused
        if other is None:
            result[f"other:{desk}"] = result[f"own:{desk}"]
        else:
            result[f"other:{desk}"] = (other_status if desk in own else refused) if other == "scoped" else other
    return result


PUBLIC = {"anon": 200, **{f"{side}:{d}": 200 for side in ("own", "other") for d in ALL}}


def spec(w):
    case, person = w["signed"], w["person"]
    doc = w["document"]
    holder_only = {**expected(ALL, 403, "scoped", other_status=404), "own:petugas": 302}
    return {
        "home": ("get", "/", expected(ALL)),
        "login": ("get", "/masuk/", {"anon": 200, **{f"{s}:{d}": 302 for s in ("own", "other") for d in ALL}}),
        "logout": ("post", "/keluar/", {"anon": 302, **{f"{s}:{d}": 302 for s in ("own", "other") for d in ALL}}),
        "list": ("get", "/katalog/", PUBLIC),
        "pdf": ("get", "/katalog/lumajang-spm.pdf", PUBLIC),
        "detail": ("get", "/katalog/lumajang-spm/", PUBLIC),
        "version": ("get", "/katalog/lumajang-spm/v1/", PUBLIC),
        "version_pdf": ("get", "/katalog/lumajang-spm/v1.pdf", PUBLIC),
        "compare": ("get", "/katalog/lumajang-spm/banding/?dari=1&ke=1", PUBLIC),
        "persons": ("get", "/orang/", expected(ALL)),
        "person_new": ("get", "/orang/baru/", expected(FRONT)),
        "person_nik": ("get", "/orang/nik/?nik=3508015507850003", expected(FRONT)),
        "person": ("get", f"/orang/{person.pk}/", expected(ALL, other="scoped", other_status=404)),
        "person_edit": ("get", f"/orang/{person.pk}/ubah/", expected(FRONT, other="scoped", other_status=404)),
        "cases": ("get", "/permohonan/", expected(ALL)),
        "case_new": ("get", "/permohonan/baru/", expected(["petugas"])),
        "recap": ("get", "/permohonan/rekap/", expected(["petugas"])),
        "recap_job": (
            "get",
            f"/permohonan/rekap/{w['recap_job'].pk}/",
            expected(["petugas"], other="scoped", other_status=404),
        ),
        "recap_job_next": (
            "post",
            f"/permohonan/rekap/{w['recap_job'].pk}/lanjut/",
            expected(["petugas"], own_status=302, other="scoped", other_status=404),
        ),
        "case": ("get", f"/permohonan/{case.pk}/", expected(ALL, other="scoped", other_status=404)),
        "case_documents": (
            "post",
            f"/permohonan/{w['draft_case'].pk}/berkas/",
            expected(["petugas"], own_status=302, other="scoped", other_status=404),
        ),
        "case_document": (
            "post",
            f"/permohonan/{w['draft_case'].pk}/berkas/{w['draft_case'].documents.first().pk}/",
            expected(["petugas"], own_status=302, other="scoped", other_status=404),
        ),
        "case_document_file": (
            "get",
            f"/permohonan/{case.pk}/berkas/{doc.pk}/pindaian/",
            expected(NIK_DESKS, other="scoped", other_status=404),
        ),
        "case_register": (
            "post",
            f"/permohonan/{case.pk}/daftarkan/",
            expected(["petugas"], 302, "scoped", other_status=404),
        ),
        "case_return": (
            "post",
            f"/permohonan/{case.pk}/kembalikan/",
            expected(["petugas"], 302, "scoped", other_status=404),
        ),
        "case_resubmit": (
            "post",
            f"/permohonan/{case.pk}/ajukan-kembali/",
            expected(["petugas"], 302, "scoped", other_status=404),
        ),
        "case_receipt": (
            "get",
            f"/permohonan/{case.pk}/tanda-terima.pdf",
            expected(ALL, other="scoped", other_status=404),
        ),
        "case_missing": (
            "get",
            f"/permohonan/{w['returned'].pk}/kekurangan-berkas.pdf",
            expected(ALL, other="scoped", other_status=404),
        ),
        # The signed case is at the petugas desk (step 8): only it may act on the step (without the
        # page's step number it is told to reload, 302); every other desk is refused.
        **{
            name: ("post", f"/permohonan/{case.pk}/tindakan/{slug}/", holder_only)
            for name, slug in (
                ("case_complete", "selesai"),
                ("case_wait", "tunggu"),
                ("case_resume", "lanjutkan"),
                ("case_return_for_revision", "revisi"),
                ("case_reject", "tolak"),
            )
        },
        # Nobody sent the signed case to the petugas but the Kadis, by signing: no one may take it back.
        "case_take_back": (
            "post",
            f"/permohonan/{case.pk}/tindakan/tarik-kembali/",
            expected(ALL, 403, "scoped", other_status=404),
        ),
        # Cancelling is the front desk's: refused for now (302) on a signed case, 403 for the others.
        "case_cancel": ("post", f"/permohonan/{case.pk}/tindakan/batalkan/", holder_only),
        # Without a flow of the case's SOP posted there is nothing to choose: not found, for every desk.
        "case_choose_flow": (
            "post",
            f"/permohonan/{case.pk}/tindakan/alur/",
            expected(ALL, 404, "scoped", other_status=404),
        ),
        "case_match": (
            "post",
            f"/permohonan/{case.pk}/padanan/",
            # as case_action: only the desk holding the current step may record a padanan
            {**expected(ALL, 403, "scoped", other_status=404), "own:petugas": 302},
        ),
        "disposition_pdf": (
            "get",
            f"/permohonan/{w['disposition'].case_id}/disposisi/{w['disposition'].pk}.pdf",
            expected(ALL, other="scoped", other_status=404),
        ),
        "case_rejection_letter": (
            "get",
            f"/permohonan/{w['rejected'].pk}/surat-penolakan.pdf",
            expected(ALL, other="scoped", other_status=404),
        ),
        "letter_draft": (
            "get",
            f"/permohonan/{w['draft_case'].pk}/surat/{w['draft'].pk}/konsep.pdf",
            expected(ALL, other="scoped", other_status=404),
        ),
        "letter_pdf": (
            "get",
            f"/permohonan/{case.pk}/surat/{w['issued'].pk}.pdf",
            expected(ALL, other="scoped", other_status=404),
        ),
        "letter_revoke": (
            "post",
            f"/permohonan/{case.pk}/surat/{w['issued'].pk}/cabut/",
            expected(SIGNERS, 302, "scoped", other_status=404),
        ),
        # the desk holding the case corrects its draft; the paraf chain and the signer finish a replacement;
        # another agency's case is not found
        "letter_correct": (
            "post",
            f"/permohonan/{w['draft_case'].pk}/surat/{w['draft'].pk}/koreksi/",
            expected(["petugas"], 302, other=404),
        ),
        "letter_paraf": (
            "post",
            f"/permohonan/{w['draft_case'].pk}/surat/{w['draft'].pk}/paraf/",
            expected(["kasi", "kabid", "sekdin"], 302, other=404),
        ),
        "letter_sign": (
            "post",
            f"/permohonan/{w['draft_case'].pk}/surat/{w['draft'].pk}/tandatangani/",
            expected(SIGNERS, 302, other=404),
        ),
        # any desk of the agency may post (an empty form comes back with a message); the rule decides
        "berita_acara": (
            "post",
            f"/permohonan/{case.pk}/berita-acara/",
            expected(ALL, 302, "scoped", other_status=404),
        ),
        "berita_acara_preview": (
            "post",
            f"/permohonan/{case.pk}/berita-acara/konsep.pdf",
            expected(ALL, 302, "scoped", other_status=404),
        ),
        "verify": ("get", f"/verifikasi/{w['issued'].token}/", PUBLIC),
        "verify_any": ("get", "/verifikasi/", PUBLIC),
        # The agency's CA certificate and CRL are public: a reader trusts the CA in a PDF reader.
        "verify_ca": ("get", "/verifikasi/ca/lumajang.pem", PUBLIC),
        "verify_crl": ("get", "/verifikasi/crl/lumajang.crl", PUBLIC),
        # each agency's own books (tests/cases/test_naskah.py checks the wall on their rows)
        "outgoing_register": ("get", "/surat-keluar/", expected(ALL)),
        "agenda_book": ("get", "/surat-masuk/", expected(ALL)),
        "inbox": ("get", "/kotak-masuk/", expected(ALL)),
        "dashboard": ("get", "/dasbor/", expected(ALL)),
        "report": ("get", "/laporan/mutu-baku/", expected(REPORT)),
        "report_pdf": ("get", "/laporan/mutu-baku.pdf", expected(REPORT)),
        "export": ("get", "/laporan/ekspor/permohonan.csv", expected(REPORT)),
        "service_standards": ("get", "/layanan/lumajang/", PUBLIC),
        "notifications": ("get", "/pemberitahuan/", expected(ALL)),
        "notifications_read": ("post", "/pemberitahuan/tandai-dibaca/", expected(ALL, own_status=302)),
        "notifications_digest": ("post", "/pemberitahuan/ringkasan/", expected(ALL, own_status=302)),
        "status": ("get", f"/status/{case.number}/", PUBLIC),
        "admin": ("get", "/admin/", expected(["admin"], refused=302)),
        # Admin screens of this repository's own (the admin's scoping: another agency's row is a 404).
        "admin_sop_publish": (
            "get",
            f"/admin/sop_catalog/sop/{w['spm'].pk}/terbitkan/",
            expected(["admin"], refused=302, other="scoped", other_status=404),
        ),
        "admin_flow_author": (
            "get",
            f"/admin/sop_catalog/flow/{w['spm_flow'].pk}/susun/",
            expected(["admin"], refused=302, other="scoped", other_status=404),
        ),
        "two_factor": ("get", "/2fa/", expected(ALL)),
        # Each agency admin sees its own agency's positions today (tests/agencies/test_admin_users.py).
        "admin:agencies_position_today": (
            "get",
            "/admin/agencies/position/hari-ini/",
            expected(["admin"], refused=302),
        ),
    }


# The URL names every ModelAdmin and the admin site have; any other admin URL is a page of ours.
ADMIN_STANDARD = re.compile(r"_(changelist|add|change|delete|history)$|^(index|login|logout|password_change(_done)?|"
                            r"autocomplete|jsi18n|view_on_site|app_list)$")  # fmt: skip


def url_names():
    names = set()

    def walk(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                if "admin" not in str(pattern.pattern):
                    walk(pattern.url_patterns)
                else:
                    walk_admin(pattern.url_patterns)
            elif pattern.name:
                names.add(pattern.name)

    def walk_admin(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                walk_admin(pattern.url_patterns)
            elif pattern.name and pattern.name.startswith("agencies_") and not ADMIN_STANDARD.search(pattern.name):
                # The organisation's admin pages (the other apps' are the admin_* rows above and
                # tests/test_admin_walls.py, import-export's and django-otp's included).
                names.add(f"admin:{pattern.name}")

    walk(get_resolver().url_patterns)
    return names


def test_every_url_is_in_the_matrix():
    names = set(spec(defaultdict(MagicMock)))  # the names only: no case is needed to list them

    assert url_names() - names == set()


@pytest.fixture
def pdfs_rendered_once(monkeypatch):
    """Each PDF laid out once and reused for every identity allowed to see it (tests/pdf_once.py)."""
    layout = layout_once(monkeypatch)
    yield
    assert layout.pdfs, "no PDF went through LayoutOnce: see how WeasyPrint's HTML is imported now"


def user_of(who, demo_users):
    side, desk = who.split(":")
    return demo_users[f"{'lumajang' if side == 'own' else 'solok'}-{desk}"]


@pytest.mark.long(20)
def test_the_access_matrix(pdfs_rendered_once, world, demo_users):
    # pdfs_rendered_once first: the world's letters and disposisi sheets go through LayoutOnce too, and
    # the matrix asks for each of them again (9 PDFs laid out in all, 12 with the world first).
    table = spec(world)
    identities = list(table["home"][2])
    assert len(identities) == 1 + 2 * len(ALL) and all(set(row[2]) == set(identities) for row in table.values())
    clients = {who: Client() for who in identities}  # one signed-in session each, asked in turn per URL
    for who, client in clients.items():
        if who != "anon":
            client.force_login(user_of(who, demo_users))
    failures = []
    for name, (method, path, expected_by_who) in table.items():
        for who, status in expected_by_who.items():
            response = getattr(clients[who], method)(path)
            if response.status_code != status:
                failures.append(f"{name} {path} as {who}: {response.status_code}, expected {status}")
            if name == "logout" and who != "anon":
                clients[who].force_login(user_of(who, demo_users))
    assert failures == []
