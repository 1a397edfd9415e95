"""Whole NIK/KK numbers only for the desks that check papers; every view of personal data logged."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases import privacy, services
from cases.models import PersonAccess, PersonChange
from tests.cases.test_case_views import pdf_text
from tests.files import BLANK_PDF


def receipt_text(client, demo_users, case, username):
    client.force_login(demo_users[username])
    response = client.get(f"/permohonan/{case.pk}/tanda-terima.pdf")
    assert response.status_code == 200
    return pdf_text(response.content)


@pytest.mark.parametrize("username", ["lumajang-kabid", "lumajang-kadis", "lumajang-sekdin", "lumajang-admin"])
def test_the_tanda_terima_masks_the_nik_for_a_desk_that_sees_it_masked(client, demo_users, registered, username):
    text = receipt_text(client, demo_users, registered, username)

    assert registered.applicant.nik not in text
    assert registered.applicant.nik_masked in text


def test_the_tanda_terima_shows_the_whole_nik_to_the_front_desk(client, demo_users, registered):
    text = receipt_text(client, demo_users, registered, "lumajang-petugas")

    assert registered.applicant.nik in text


def test_opening_the_tanda_terima_is_logged(client, demo_users, registered):
    receipt_text(client, demo_users, registered, "lumajang-kabid")

    logged = PersonAccess.objects.filter(user=demo_users["lumajang-kabid"], person=registered.applicant)
    assert logged.filter(via=f"tanda terima {registered.number}").count() == 1


@pytest.fixture
def scanned(registered, demo_users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    document = registered.documents.first()
    services.receive_document(
        document=document, user=demo_users["lumajang-petugas"], upload=SimpleUploadedFile("k.pdf", BLANK_PDF)
    )
    return document


@pytest.mark.parametrize("username", ["lumajang-kabid", "lumajang-kadis", "lumajang-sekdin", "lumajang-admin"])
def test_a_desk_that_does_not_check_papers_cannot_open_a_scan(client, demo_users, registered, scanned, username):
    client.force_login(demo_users[username])

    response = client.get(f"/permohonan/{registered.pk}/berkas/{scanned.pk}/pindaian/")

    assert response.status_code == 403
    assert not PersonAccess.objects.filter(user=demo_users[username], via__startswith="pindaian").exists()


def test_the_case_page_links_no_scan_for_a_desk_that_cannot_open_it(client, demo_users, registered, scanned):
    client.force_login(demo_users["lumajang-kabid"])

    page = client.get(f"/permohonan/{registered.pk}/").content.decode()

    assert f"/berkas/{scanned.pk}/pindaian/" not in page


def test_the_one_rule_is_the_desks_that_check_papers(demo_users):
    seeing = {
        name.removeprefix(f"{user.agency.slug}-").split("-")[0]
        for name, user in demo_users.items()
        if privacy.sees_full_numbers(user)
    }

    assert seeing == {"kasi", "peksos", "petugas"}


@pytest.fixture
def admin_desk(client, demo_users):
    client.force_login(demo_users["lumajang-admin"])
    return demo_users["lumajang-admin"]


def test_the_admin_person_page_masks_the_numbers(client, admin_desk, person):
    person.kk_number = "3508011507850099"
    person.save()

    page = client.get(f"/admin/cases/person/{person.pk}/change/").content.decode()

    assert person.nik not in page and person.kk_number not in page
    assert person.nik_masked in page


def test_opening_the_admin_person_page_is_logged(client, admin_desk, person):
    client.get(f"/admin/cases/person/{person.pk}/change/")

    assert PersonAccess.objects.filter(user=admin_desk, person=person, via="admin orang").count() == 1


def admin_form_data(person, **changes):
    data = {
        "agency": person.agency_id,
        "name": person.name,
        "birth_place": person.birth_place,
        "birth_date": person.birth_date.isoformat(),
        "sex": person.sex,
        "address": person.address,
        "rt": "",
        "rw": "",
        "village": person.village,
        "district": person.district,
        "regency": person.regency,
        "phone": "",
        "description": "",
        "found_at": "",
        "changes-TOTAL_FORMS": "0",
        "changes-INITIAL_FORMS": "0",
        "_save": "Simpan",
    }
    data.update(changes)
    return data


def test_an_admin_edit_of_a_person_writes_the_change_history(client, admin_desk, person):
    response = client.post(f"/admin/cases/person/{person.pk}/change/", admin_form_data(person, address="Jl. Mawar 9"))

    assert response.status_code == 302, response.content.decode()[:2000]
    change = PersonChange.objects.get(person=person, created=False)
    assert change.user == admin_desk
    assert change.changes == {"address": ["Jl. Kenanga 5", "Jl. Mawar 9"]}


def test_an_admin_edit_keeps_the_numbers_it_cannot_see(client, admin_desk, person):
    nik = person.nik

    client.post(f"/admin/cases/person/{person.pk}/change/", admin_form_data(person, address="Jl. Mawar 9"))

    person.refresh_from_db()
    assert person.nik == nik and person.address == "Jl. Mawar 9"
