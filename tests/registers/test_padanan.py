"""The padanan at the SPM verification step: what the case page shows, what confirming records."""

import pytest
from django.conf import settings

from cases import letters
from cases import services as case_services
from cases.models import AuditEntry, Case, IssuedDocument
from cases.templating import render_body
from registers.models import Access, Entry, Match, Period
from tests.conftest import give_all_documents
from tests.factories import PersonFactory

HOUSEHOLD_KK = "3508010101090012"


@pytest.fixture
def beneficiary(lumajang):
    return PersonFactory(agency=lumajang, kk_number=HOUSEHOLD_KK)


@pytest.fixture
def at_verification(lumajang_spm, beneficiary, petugas, walk):
    """An SPM case at step 3 ("dipadankan dengan data DTKS …"), held by the petugas."""
    case = case_services.open_case(
        user=petugas, sop=lumajang_spm, applicant=beneficiary, beneficiary=beneficiary, channel="datang",
        purpose="Berobat ke RSUD dr. Haryoto",
    )  # fmt: skip
    give_all_documents(case, petugas)
    case = case_services.register_case(case=case, user=petugas)
    while case.current_step.no < 3:
        case = walk(case, branch="Ya" if case.current_step.sop_step.branches.exists() else "")
    assert case.current_step.no == 3
    return Case.objects.get(pk=case.pk)


def add_entry(period, *, nik="", kk="", name="WARGA", desil=None):
    return Entry.objects.create(period=period, nik=nik, kk_number=kk, name=name, desil=desil)


def page(client, user, case):
    client.force_login(user)
    response = client.get(f"/permohonan/{case.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_case_page_shows_the_household_found_in_the_current_dtks(client, petugas, at_verification, periods):
    add_entry(periods["dtks"], nik="3508014507900001", kk=HOUSEHOLD_KK, name="ISTRI WARGA", desil=2)
    html = page(client, petugas, at_verification)
    assert 'data-testid="padanan-dtks">sesuai' in html
    assert "Keluarga (KK sama)" in html
    assert "ditemukan, desil 2" in html


def test_a_beneficiary_already_in_pbi_pusat_does_not_meet_the_sop(
    client, petugas, at_verification, periods, beneficiary
):
    add_entry(periods["dtks"], nik=beneficiary.nik, kk=HOUSEHOLD_KK, desil=1)
    add_entry(periods["pbi-pusat"], nik=beneficiary.nik, kk=HOUSEHOLD_KK)
    html = page(client, petugas, at_verification)
    assert 'data-testid="padanan-pbi-pusat">tidak sesuai' in html
    assert 'data-testid="padanan-verdict">tidak memenuhi' in html


def test_a_row_of_a_past_period_is_not_found(client, petugas, at_verification, periods, beneficiary):
    old = Period.objects.create(register=periods["dtks"].register, label="Triwulan II 2026")
    add_entry(old, nik=beneficiary.nik, kk=HOUSEHOLD_KK, desil=1)
    html = page(client, petugas, at_verification)
    assert 'data-testid="padanan-dtks">tidak sesuai' in html


def test_the_page_shows_no_padanan_at_a_step_that_consults_no_register(client, petugas, lumajang_spm, beneficiary):
    case = case_services.open_case(
        user=petugas, sop=lumajang_spm, applicant=beneficiary, beneficiary=beneficiary, channel="datang", purpose="x"
    )
    give_all_documents(case, petugas)
    case = case_services.register_case(case=case, user=petugas)
    assert case.current_step.no == 1
    assert 'data-testid="padanan"' not in page(client, petugas, case)


def test_showing_the_padanan_logs_who_saw_the_rows(client, petugas, at_verification, periods, beneficiary):
    entry = add_entry(periods["dtks"], nik=beneficiary.nik, kk=HOUSEHOLD_KK, desil=3)
    page(client, petugas, at_verification)
    assert list(Access.objects.filter(entry=entry).values_list("user", "agency")) == [(petugas.pk, entry.agency_id)]


def test_confirming_records_the_periods_on_the_step_and_in_the_audit(
    client, petugas, at_verification, periods, beneficiary
):
    add_entry(periods["dtks"], nik=beneficiary.nik, kk=HOUSEHOLD_KK, desil=1)
    client.force_login(petugas)
    response = client.post(f"/permohonan/{at_verification.pk}/padanan/", {"step": at_verification.current_step_id})
    assert response.status_code == 302
    match = Match.objects.get(case=at_verification)
    assert (match.case_step_id, match.outcome, match.ok) == (at_verification.current_step_id, Match.CONFIRMED, True)
    assert [r["period"] for r in match.results] == ["Triwulan III 2026"] * 3
    audit = AuditEntry.objects.get(case=at_verification, action="padanan")
    assert "DTKS/DTSEN periode Triwulan III 2026 (terdaftar, desil 1)" in audit.note


def test_overriding_without_a_reason_records_nothing(client, petugas, at_verification, periods):
    client.force_login(petugas)
    client.post(
        f"/permohonan/{at_verification.pk}/padanan/", {"step": at_verification.current_step_id, "override": "on"}
    )
    assert not Match.objects.filter(case=at_verification).exists()


def test_overriding_with_a_reason_records_the_opposite_verdict(client, petugas, at_verification, periods):
    client.force_login(petugas)
    client.post(
        f"/permohonan/{at_verification.pk}/padanan/",
        {
            "step": at_verification.current_step_id,
            "override": "on",
            "reason": "Sudah terdaftar di DTKS desa, belum terunggah",
        },
    )
    match = Match.objects.get(case=at_verification)
    assert (match.computed_ok, match.ok, match.outcome) == (False, True, Match.OVERRIDDEN)


def test_a_desk_that_does_not_hold_the_step_cannot_record(client, demo_users, at_verification, periods):
    client.force_login(demo_users["lumajang-kasi"])
    response = client.post(f"/permohonan/{at_verification.pk}/padanan/", {"step": at_verification.current_step_id})
    assert response.status_code == 403
    assert not Match.objects.exists()


def test_a_page_of_an_older_step_cannot_record(client, petugas, at_verification, periods):
    client.force_login(petugas)
    client.post(f"/permohonan/{at_verification.pk}/padanan/", {"step": at_verification.current_step_id - 1})
    assert not Match.objects.exists()


def test_the_spm_letter_states_the_recorded_padanan(client, petugas, at_verification, periods, beneficiary):
    letters.load_templates(path=settings.BASE_DIR / "fixtures" / "letters.json")
    letters.open_drafts(at_verification)
    add_entry(periods["dtks"], nik=beneficiary.nik, kk=HOUSEHOLD_KK, desil=1)
    client.force_login(petugas)
    client.post(f"/permohonan/{at_verification.pk}/padanan/", {"step": at_verification.current_step_id})
    draft = IssuedDocument.objects.get(case=at_verification, template__sop_slug="lumajang-spm")
    body = render_body(draft.template.body, letters.letter_context(draft))
    assert "datanya telah dipadankan dengan data DTKS/DTSEN periode Triwulan III 2026 (terdaftar, desil 1)" in body
