"""The access matrix by position (issue #14, items 3 and 9): a Linjamsos case's pages, documents,
letters, disposisi and actions are open to the positions that serve the Bidang Perlindungan dan
Jaminan Sosial and the agency-wide desks, and refused to the Kasi and Kabid of the other bidang; a Plt.
has the desk during their period, a holder whose period ended has it no more."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from agencies.models import Official, Position, User
from cases import workflow
from cases.models import Case, Disposition, IssuedDocument
from tests.conftest import desk_user
from tests.factories import CaseFactory
from tests.files import BLANK_PDF
from tests.pdf_once import layout_once
from tests.worlds import built_once

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
OTHER_BIDANG = ["lumajang-kasi-rehsos", "lumajang-kabid-rehsos", "lumajang-kasi-pfm", "lumajang-kabid-pfm"]


def walk_to(case, stop, users):
    """Complete each step as the demo user of its desk (tests/conftest.py desk_user) until `stop(case)`."""
    while not stop(case := Case.objects.get(pk=case.pk)):
        branch = "Ya" if case.current_step.sop_step.branches.exists() else ""
        workflow.complete_step(case=case, user=desk_user(users, case), step_id=case.current_step_id, branch=branch)
    return case


def session_demo_users():
    """The demo users of the session data, by username (as the demo_users fixture gives them)."""
    users = User.objects.filter(agency__isnull=False).select_related("agency")
    return {user.username: user for user in users if user.username.startswith(f"{user.agency.slug}-")}


def build_linjamsos(users):
    """Two SPM (Linjamsos) cases: one at its Kasi with its draft letter, a scan and a disposisi sheet; one
    signed, with its issued letter."""
    at_kasi = walk_to(CaseFactory(registered=True), lambda c: c.current_step.desk == "kasi", users)
    scan = at_kasi.documents.first()
    scan.file.save("ktp.pdf", ContentFile(BLANK_PDF))
    disposition = Disposition.objects.create(
        case=at_kasi, by=users["lumajang-kadis"], from_desk="kadis", to_desk="kasi", instructions=["Proses"]
    )
    disposition.pdf.save("disposisi.pdf", ContentFile(BLANK_PDF))
    signed = walk_to(CaseFactory(registered=True), lambda c: c.state == Case.APPROVED, users)
    return {
        "at_kasi": at_kasi,
        "scan": scan,
        "draft": IssuedDocument.objects.get(case=at_kasi, status=IssuedDocument.DRAFT),
        "disposition": disposition,
        "signed": signed,
        "issued": IssuedDocument.objects.get(case=signed, status=IssuedDocument.ISSUED),
    }


@pytest.fixture(scope="module")
def module_linjamsos(django_db_setup, django_db_blocker, tmp_path_factory):
    """On SQLite the two cases are built once per module (tests/worlds.py), with their files; None elsewhere."""
    media = tmp_path_factory.mktemp("media")
    with built_once(django_db_blocker, media, lambda: build_linjamsos(session_demo_users())) as (built, world):
        yield (media, world) if built else None


@pytest.fixture(scope="module", autouse=True)
def pdfs_rendered_once():
    """Each PDF of the module laid out once and reused for every identity that may see it (tests/pdf_once.py)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        layout = layout_once(monkeypatch)
        yield
        assert layout.pdfs, "no PDF went through LayoutOnce: see how WeasyPrint's HTML is imported now"


@pytest.fixture
def linjamsos(module_linjamsos, demo_users, settings):
    """The two cases: the module's (its scans and letters under its media folder), or built for this test."""
    if module_linjamsos is None:
        return build_linjamsos(demo_users)
    settings.MEDIA_ROOT, world = module_linjamsos
    return world


def pages(w):
    case, signed = w["at_kasi"].pk, w["signed"].pk
    return {
        "case": f"/permohonan/{case}/",
        "case_receipt": f"/permohonan/{case}/tanda-terima.pdf",
        "case_document_file": f"/permohonan/{case}/berkas/{w['scan'].pk}/pindaian/",
        "letter_draft": f"/permohonan/{case}/surat/{w['draft'].pk}/konsep.pdf",
        "disposition_pdf": f"/permohonan/{case}/disposisi/{w['disposition'].pk}.pdf",
        "letter_pdf": f"/permohonan/{signed}/surat/{w['issued'].pk}.pdf",
    }


def actions(w):
    case, signed, step = w["at_kasi"].pk, w["signed"].pk, w["at_kasi"].current_step_id
    branch = w["at_kasi"].current_step.sop_step.branches.first()
    return {
        "case_complete": (
            f"/permohonan/{case}/tindakan/selesai/",
            {"step": step, "branch": branch.label if branch else ""},
        ),
        "case_wait": (f"/permohonan/{case}/tindakan/tunggu/", {"step": step, "waiting_for": "Dinas lain"}),
        "case_return_for_revision": (f"/permohonan/{case}/tindakan/revisi/", {"step": step, "note": "ulang"}),
        "case_reject": (f"/permohonan/{case}/tindakan/tolak/", {"step": step, "reason": "uji"}),
        "letter_paraf": (f"/permohonan/{case}/surat/{w['draft'].pk}/paraf/", {}),
        "letter_correct": (f"/permohonan/{case}/surat/{w['draft'].pk}/koreksi/", {"maksud": "diubah"}),
        "letter_sign": (f"/permohonan/{case}/surat/{w['draft'].pk}/tandatangani/", {}),
        "letter_revoke": (f"/permohonan/{signed}/surat/{w['issued'].pk}/cabut/", {"reason": "uji"}),
        "berita_acara": (f"/permohonan/{case}/berita-acara/", {}),
    }


def client_of(user):
    client = Client()
    client.force_login(user)
    return client


def page_statuses(user, w):
    client = client_of(user)
    return {name: client.get(url).status_code for name, url in pages(w).items()}


def action_statuses(user, w):
    client = client_of(user)
    return {name: client.post(url, data).status_code for name, (url, data) in actions(w).items()}


def snapshot(w):
    """What an action would change: the cases' state and steps, the letters' status."""
    return [
        (case.state, case.current_step_id, list(case.steps.values_list("status", "completed_by")))
        for case in Case.objects.filter(pk__in=[w["at_kasi"].pk, w["signed"].pk]).order_by("pk")
    ] + sorted(IssuedDocument.objects.filter(case__in=[w["at_kasi"], w["signed"]]).values_list("pk", "status"))


def complete_as(user, w):
    url, data = actions(w)["case_complete"]
    return client_of(user).post(url, data).status_code


def test_another_bidangs_kasi_and_kabid_are_refused_every_page_document_letter_and_action(linjamsos, demo_users):
    """All four of them on one world: a refused action changes nothing (checked), so the next one meets
    the same cases."""
    before = snapshot(linjamsos)

    got = {
        username: {**page_statuses(demo_users[username], linjamsos), **action_statuses(demo_users[username], linjamsos)}
        for username in OTHER_BIDANG
    }

    assert len(pages(linjamsos)) + len(actions(linjamsos)) == 15
    # Not found (the case is outside their bidang), but the scan, which is only for the desks that
    # check it (a 403 for a Kabid, a 404 for a Kasi of another bidang), and revoking, which only the
    # signing desks may do (a 403).
    refused = {
        **{name: 404 for name in [*pages(linjamsos), *actions(linjamsos)]},
        "letter_revoke": 403,
    }
    assert got == {
        username: {**refused, "case_document_file": 404 if "-kasi-" in username else 403} for username in OTHER_BIDANG
    }
    assert snapshot(linjamsos) == before


# The scans are for the desks that check them (petugas, peksos, Kasi): a 403 for the others.
OPEN = {name: 200 for name in ("case", "case_receipt", "case_document_file", "letter_draft", "disposition_pdf",
                               "letter_pdf")}  # fmt: skip


def test_the_linjamsos_positions_and_the_agency_wide_desks_open_its_pages(linjamsos, demo_users):
    opening = ("lumajang-kasi", "lumajang-kabid", "lumajang-sekdin", "lumajang-kadis")

    got = {username: page_statuses(demo_users[username], linjamsos) for username in opening}

    assert got == {
        "lumajang-kasi": OPEN,
        "lumajang-kabid": {**OPEN, "case_document_file": 403},
        "lumajang-sekdin": {**OPEN, "case_document_file": 403},
        "lumajang-kadis": {**OPEN, "case_document_file": 403},
    }


def test_the_linjamsos_kasi_acts_on_its_case_and_the_rehsos_kasi_may_not(linjamsos, demo_users):
    assert complete_as(demo_users["lumajang-kasi-rehsos"], linjamsos) == 404

    assert complete_as(demo_users["lumajang-kasi"], linjamsos) == 302
    case = Case.objects.get(pk=linjamsos["at_kasi"].pk)
    assert case.current_step.desk == "kabid"
    assert case.steps.get(pk=linjamsos["at_kasi"].current_step_id).completed_by == demo_users["lumajang-kasi"]


def appoint_plt(user, start, end):
    position = Position.objects.get(officials__user__username="lumajang-kasi", desk="kasi")
    return Official.objects.create(position=position, name="PLT KASI LINJAMSOS", acting=Official.PLT, user=user,
                                   start=start, end=end)  # fmt: skip


def test_a_plt_during_their_period_opens_and_acts_on_the_case(linjamsos, demo_users, django_user_model):
    plt = django_user_model.objects.create_user("plt-kasi-linjamsos", agency=linjamsos["at_kasi"].agency)
    appoint_plt(plt, TODAY - datetime.timedelta(days=1), TODAY + datetime.timedelta(days=29))

    assert page_statuses(plt, linjamsos) == OPEN
    definitive = django_user_model.objects.get(username="lumajang-kasi")  # does not hold the desk meanwhile
    assert set(page_statuses(definitive, linjamsos).values()) <= {403, 404}
    assert complete_as(definitive, linjamsos) in (403, 404)
    assert complete_as(plt, linjamsos) == 302
    case = Case.objects.get(pk=linjamsos["at_kasi"].pk)
    assert case.current_step.desk == "kabid"
    assert case.steps.get(pk=linjamsos["at_kasi"].current_step_id).completed_by == plt


def test_a_plt_whose_period_ended_is_refused(linjamsos, demo_users, django_user_model):
    plt = django_user_model.objects.create_user("plt-kasi-lama", agency=linjamsos["at_kasi"].agency)
    appoint_plt(plt, TODAY - datetime.timedelta(days=30), TODAY - datetime.timedelta(days=1))
    before = snapshot(linjamsos)

    got = page_statuses(plt, linjamsos)

    assert len(got) == 6 and set(got.values()) <= {403, 404}
    assert complete_as(plt, linjamsos) in (403, 404)
    assert snapshot(linjamsos) == before
    assert page_statuses(demo_users["lumajang-kasi"], linjamsos) == OPEN  # the definitive holder acts again


def test_a_holder_whose_period_ended_is_refused(linjamsos, demo_users, django_user_model):
    holding = Official.objects.get(user=demo_users["lumajang-kasi"], position__desk="kasi")
    holding.end = TODAY - datetime.timedelta(days=1)
    holding.save()
    ended = django_user_model.objects.get(username="lumajang-kasi")
    before = snapshot(linjamsos)

    got = page_statuses(ended, linjamsos)

    assert len(got) == 6 and set(got.values()) <= {403, 404}
    assert complete_as(ended, linjamsos) in (403, 404)
    assert snapshot(linjamsos) == before


def test_a_desk_of_one_bidang_never_opens_another_bidangs_case(linjamsos, demo_users):
    """The matrix by position: the SPM (Bidang Perlindungan dan Jaminan Sosial) at its Kasi is open to
    that Kasi, its Kabid and the agency-wide desks, and a 404 for the other bidang's Kasi and Kabid."""
    case = linjamsos["at_kasi"]
    assert case.current_step.desk == "kasi" and case.sop.slug == "lumajang-spm"
    pages = [f"/permohonan/{case.pk}/", f"/permohonan/{case.pk}/tanda-terima.pdf"]
    allowed = ["lumajang-kasi", "lumajang-kabid", "lumajang-petugas", "lumajang-sekdin", "lumajang-kadis"]
    refused = ["lumajang-kasi-rehsos", "lumajang-kabid-rehsos", "lumajang-kasi-pfm", "lumajang-kabid-pfm"]
    statuses = {}
    for username in allowed + refused:
        client = client_of(demo_users[username])
        statuses[username] = [client.get(page).status_code for page in pages]
    assert {name: statuses[name] for name in allowed} == {name: [200, 200] for name in allowed}
    assert {name: statuses[name] for name in refused} == {name: [404, 404] for name in refused}
