"""The person form fills what a NIK encodes (date of birth, sex) and proposes its kecamatan and kabupaten."""

import datetime

from cases.crypto import blind_index
from cases.models import Person
from cases.regions import region_of_nik

NIK = "3508015507850003"  # 35.08.01 (Kab. Lumajang, Tempursari), 15-07-1985, perempuan


def test_the_region_code_gives_the_kemendagri_names():
    assert region_of_nik(NIK) == {"province": "Jawa Timur", "regency": "Kabupaten Lumajang", "district": "Tempursari"}
    assert region_of_nik("9999990000000000") == {"province": "", "regency": "", "district": ""}


def test_a_valid_nik_fills_birth_date_sex_and_region_left_empty(petugas_client):
    response = petugas_client.post("/orang/baru/", {"nik": NIK, "name": "Siti Aminah"})

    assert response.status_code == 302
    person = Person.objects.get(nik_hash=blind_index(NIK))
    assert person.birth_date == datetime.date(1985, 7, 15) and person.sex == "P"
    assert (person.regency, person.district) == ("Kabupaten Lumajang", "Tempursari")


def test_what_was_typed_stays_and_is_still_checked(petugas_client):
    typed = {"nik": NIK, "name": "Siti Aminah", "district": "Pasirian", "regency": "Lumajang"}
    assert petugas_client.post("/orang/baru/", {**typed, "sex": "L"}).status_code == 200  # NIK says perempuan
    assert not Person.objects.exists()

    assert petugas_client.post("/orang/baru/", typed).status_code == 302
    person = Person.objects.get()
    assert (person.district, person.regency) == ("Pasirian", "Lumajang")


def test_a_wrong_nik_fills_nothing_and_still_requires_the_date(petugas_client):
    response = petugas_client.post("/orang/baru/", {"nik": "3508013207850003", "name": "X"})

    assert response.status_code == 200 and "Tanggal lahir wajib diisi." in response.content.decode()


def test_the_json_endpoint_decodes_a_nik(petugas_client):
    body = petugas_client.get("/orang/nik/", {"nik": "3508 0155 0785 0003"}).json()
    assert body == {
        "valid": True,
        "problems": [],
        "birth_date": "1985-07-15",
        "sex": "P",
        "province": "Jawa Timur",
        "regency": "Kabupaten Lumajang",
        "district": "Tempursari",
    }
    wrong = petugas_client.get("/orang/nik/", {"nik": "35080155"}).json()
    assert wrong["valid"] is False and wrong["problems"] == ["NIK harus 16 angka; yang diisi 8 angka."]


def test_the_person_form_loads_the_script_from_static(petugas_client):
    page = petugas_client.get("/orang/baru/").content.decode()
    assert '/static/js/nik-fill.js"' in page and 'data-nik-url="/orang/nik/"' in page


def test_the_searched_nik_or_name_is_carried_into_the_new_person_form(petugas_client):
    listing = petugas_client.get("/orang/", {"q": "3508-0155-0785-0003"}).content.decode()
    assert "/orang/baru/?nik=3508015507850003" in listing
    form = petugas_client.get("/orang/baru/", {"nik": NIK}).content.decode()
    assert f'value="{NIK}"' in form

    listing = petugas_client.get("/orang/", {"q": "Siti Aminah", "pilih": "pemohon"}).content.decode()
    assert "/orang/baru/?pilih=pemohon&amp;nama=Siti+Aminah" in listing
    form = petugas_client.get("/orang/baru/", {"nama": "Siti Aminah"}).content.decode()
    assert 'value="Siti Aminah"' in form
