import pytest
from django.core.exceptions import FieldError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Agency
from cases.crypto import blind_index
from cases.models import Person, PersonChange
from tests.factories import PersonFactory

VALID = {
    "nik": "3508015507850003",
    "name": "Siti Aminah",
    "birth_place": "Lumajang",
    "birth_date": "1985-07-15",
    "sex": "P",
    "address": "Jl. Mawar 3",
    "village": "Tompokersan",
    "district": "Lumajang",
}


def test_a_petugas_registers_a_person_and_the_creation_is_kept(petugas_client, petugas):
    response = petugas_client.post("/orang/baru/", VALID)

    person = Person.objects.get(nik_hash=blind_index("3508015507850003"))
    assert response.status_code == 302 and response["Location"] == f"/orang/{person.pk}/"
    assert person.agency == petugas.agency
    change = PersonChange.objects.get(person=person)
    assert change.created and change.user == petugas and change.changes["name"] == [None, "Siti Aminah"]


def test_a_wrong_nik_says_which_part_is_wrong(petugas_client):
    response = petugas_client.post("/orang/baru/", {**VALID, "birth_date": "1985-07-16"})

    assert response.status_code == 200
    assert "tidak sama dengan tanggal lahir yang diisi (16-07-1985)" in response.content.decode()
    assert not Person.objects.exists()


def test_the_same_nik_stops_with_a_link_to_the_existing_person(petugas_client, lumajang):
    existing = PersonFactory(agency=lumajang, nik=VALID["nik"], sex="P", name="Siti A.")

    response = petugas_client.post("/orang/baru/", VALID)

    page = response.content.decode()
    assert "NIK ini sudah terdaftar atas nama Siti A." in page
    assert f'href="/orang/{existing.pk}/"' in page
    assert Person.objects.count() == 1


def test_the_same_name_and_birth_date_warns_until_confirmed(petugas_client, lumajang):
    PersonFactory(agency=lumajang, nik=None, without_papers=True, name="SITI AMINAH", sex="P", found_at="Pasar")
    data = {**VALID}

    warned = petugas_client.post("/orang/baru/", data)
    confirmed = petugas_client.post("/orang/baru/", {**data, "confirm_namesake": "on"})

    assert "Sudah ada orang dengan nama dan tanggal lahir yang sama" in warned.content.decode()
    assert confirmed.status_code == 302
    assert Person.objects.count() == 2


def test_a_person_without_papers_needs_a_description_and_where_found(petugas_client):
    refused = petugas_client.post("/orang/baru/", {"without_papers": "on", "name": "Tanpa nama"})
    accepted = petugas_client.post(
        "/orang/baru/",
        {"without_papers": "on", "name": "Tanpa nama", "description": "Laki-laki ±40 th", "found_at": "Alun-alun"},
    )

    assert "wajib diisi ciri-cirinya" in refused.content.decode()
    assert "wajib diisi tempat ditemukannya" in refused.content.decode()
    assert accepted.status_code == 302
    assert Person.objects.get().nik is None


def fold_of(page, testid):
    """The opening tag of the folded part of a form (a <details>), to see whether it is open."""
    start = page.index(f'data-testid="{testid}"')
    return page[page.rindex("<details", 0, start) : page.index(">", start) + 1]


def test_the_fields_of_a_person_without_papers_are_folded_until_they_are_needed(petugas_client):
    empty = petugas_client.get("/orang/baru/").content.decode()
    ticked = petugas_client.post("/orang/baru/", {"without_papers": "on", "name": "Tanpa nama"}).content.decode()
    typed = petugas_client.post("/orang/baru/", {"name": "Tanpa nama", "found_at": "Alun-alun"}).content.decode()

    assert " open" not in fold_of(empty, "no-papers-fold")
    assert " open" in fold_of(ticked, "no-papers-fold") and "wajib diisi ciri-cirinya" in ticked
    assert " open" in fold_of(typed, "no-papers-fold") and 'value="Alun-alun"' in typed  # nothing typed is hidden


def test_a_nik_of_another_agency_is_not_a_duplicate(petugas_client, agencies):
    PersonFactory(agency=Agency.objects.get(slug="solok"), nik=VALID["nik"], sex="P")

    assert petugas_client.post("/orang/baru/", VALID).status_code == 302


@pytest.mark.parametrize(
    "query", ["3508015507850003", "3508 0155 0785 0003", "3508010101090012", "siti", "AMINAH", "Sïti Amínah", "ami"]
)
def test_search_finds_by_nik_kk_and_name_without_case_or_accents(petugas_client, lumajang, query):
    PersonFactory(agency=lumajang, name="Siti Aminah", nik="3508015507850003", sex="P", kk_number="3508010101090012")
    PersonFactory(agency=lumajang, name="Budi Santoso")

    page = petugas_client.get("/orang/", {"q": query}).content.decode()

    assert "Siti Aminah" in page
    assert "Budi Santoso" not in page


def test_search_is_paginated(petugas_client, lumajang):
    PersonFactory.create_batch(25, agency=lumajang)

    page = petugas_client.get("/orang/", {"q": "warga"}).content.decode()

    assert "Halaman 1 dari 2" in page


def test_every_edit_is_kept_with_who_and_what(petugas_client, petugas, person):
    data = {
        "nik": person.nik,
        "name": person.name,
        "birth_place": "Surabaya",
        "birth_date": "1985-07-15",
        "sex": "L",
        "address": person.address,
        "phone": "081234567890",
    }

    petugas_client.post(f"/orang/{person.pk}/ubah/", data)

    change = PersonChange.objects.get(person=person, created=False)
    assert change.user == petugas
    assert change.changes["birth_place"] == ["Lumajang", "Surabaya"]
    assert change.changes["phone"] == ["", "081234567890"]
    page = petugas_client.get(f"/orang/{person.pk}/").content.decode()
    assert "tempat lahir" in page and "Surabaya" in page


def test_a_person_of_another_agency_is_not_found(client, demo_users, person):
    client.force_login(demo_users["solok-petugas"])

    assert client.get(f"/orang/{person.pk}/").status_code == 404


def test_a_kasi_may_view_but_not_register_persons(client, demo_users, person):
    client.force_login(demo_users["lumajang-kasi"])

    assert client.get(f"/orang/{person.pk}/").status_code == 200
    assert client.get("/orang/baru/").status_code == 403


def test_a_partial_number_finds_nobody_because_numbers_are_encrypted(petugas_client, lumajang):
    PersonFactory(agency=lumajang, name="Sumarni Wati", nik="3508015507850003", sex="P")

    page = petugas_client.get("/orang/", {"q": "350801550785"}).content.decode()

    assert "Sumarni Wati" not in page


def test_nik_and_kk_are_encrypted_at_rest_with_a_blind_index(lumajang):
    person = PersonFactory(agency=lumajang, nik="3508015507850003", sex="P", kk_number="3508010101090012")

    with connection.cursor() as cursor:
        cursor.execute("SELECT nik, kk_number, nik_hash FROM cases_person WHERE id = %s", [person.pk])
        nik, kk, digest = cursor.fetchone()
    assert "3508015507850003" not in nik and "3508010101090012" not in kk
    assert digest == blind_index("3508015507850003") and len(digest) == 64
    assert Person.objects.get(pk=person.pk).nik == "3508015507850003"


def test_looking_up_an_encrypted_number_directly_is_refused(lumajang):
    with pytest.raises(FieldError, match="cari dengan nik_hash"):
        list(Person.objects.filter(nik="3508015507850003"))


def test_the_history_keeps_numbers_masked(petugas_client, lumajang):
    petugas_client.post("/orang/baru/", VALID)

    change = PersonChange.objects.get()
    assert change.changes["nik"] == [None, "3508**********03"]


def test_desks_that_do_not_need_numbers_see_them_masked(client, demo_users, person):
    client.force_login(demo_users["lumajang-kabid"])
    masked = client.get(f"/orang/{person.pk}/").content.decode()
    client.force_login(demo_users["lumajang-petugas"])
    whole = client.get(f"/orang/{person.pk}/").content.decode()

    assert person.nik not in masked and person.nik_masked in masked
    assert person.nik in whole


def test_a_search_by_nik_costs_few_queries_and_finds_the_household_by_kk(petugas_client, lumajang):
    PersonFactory(agency=lumajang, name="Siti Aminah", nik="3508015507850003", kk_number="3508010101090012")
    PersonFactory(agency=lumajang, name="Rudi Aminah", nik="3508011203800001", kk_number="3508010101090012")
    petugas_client.get("/")  # session and permissions warm

    with CaptureQueriesContext(connection) as by_nik:
        one = petugas_client.get("/orang/", {"q": "3508015507850003"}).content.decode()
    household = petugas_client.get("/orang/", {"q": "3508010101090012"}).content.decode()

    assert "Siti Aminah" in one and "Rudi Aminah" not in one and "1 orang untuk" in one
    assert "Siti Aminah" in household and "Rudi Aminah" in household and "2 orang untuk" in household
    # Session, user, desks, the persons, the unread notices: no pager count, no agency row.
    assert len(by_nik) <= 5, "\n".join(q["sql"] for q in by_nik.captured_queries)
