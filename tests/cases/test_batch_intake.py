"""A kecamatan's santunan kematian recap: preview with flags, then one case per clean row."""

import datetime
import io
import json
import re

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from agencies.models import User
from cases import intake, services
from cases.models import Case, Person, RecapJob
from sop_catalog.models import SOP
from sop_catalog.services import create_new_version, import_sops, publish_version
from tests.registers import extracts

URL = "/permohonan/rekap/"
HEADERS = ["No", "Nama Almarhum", "NIK Almarhum", "Tgl Meninggal", "Nama Ahli Waris", "NIK Ahli Waris", "Hubungan",
           "Alamat", "Desa", "No HP"]  # fmt: skip


@pytest.fixture
def santunan(agencies):
    path = settings.BASE_DIR / "fixtures" / "sops" / "lumajang-santunan-kematian.json"
    import_sops(json.loads(path.read_text(encoding="utf-8")))
    return SOP.objects.get(slug="lumajang-santunan-kematian", is_current=True)


def row(n, **changes):
    values = {
        "No": n, "Nama Almarhum": f"ALMARHUM {n}", "NIK Almarhum": extracts.nik(100 + n), "Tgl Meninggal": "12/10/2026",
        "Nama Ahli Waris": f"AHLI WARIS {n}", "NIK Ahli Waris": extracts.nik(500 + n, female=True), "Hubungan": "Anak",
        "Alamat": "Dusun Krajan RT 001/RW 002", "Desa": "Tempeh Tengah", "No HP": "081234567890",
    }  # fmt: skip
    values.update(changes)
    return values


def upload(tmp_path, rows, name="rekap.csv"):
    path = extracts.write_csv(tmp_path / name, HEADERS, rows)
    return SimpleUploadedFile(name, path.read_bytes())


def preview(client, santunan, tmp_path, rows):
    return client.post(URL, {"sop": santunan.pk, "district": "Tempeh", "file": upload(tmp_path, rows)})


def test_the_preview_creates_nothing(petugas_client, santunan, tmp_path):
    response = preview(petugas_client, santunan, tmp_path, [row(1), row(2)])
    assert response.status_code == 200
    assert 'data-testid="recap-ok">2<' in response.content.decode()
    assert (Case.objects.count(), Person.objects.count()) == (0, 0)


def test_confirming_makes_one_registered_case_per_row(petugas_client, santunan, tmp_path):
    response = preview(petugas_client, santunan, tmp_path, [row(1), row(2), row(3)])
    petugas_client.post(URL, {"token": response.context["token"]})
    cases = Case.objects.order_by("id")
    assert [c.beneficiary.name for c in cases] == ["ALMARHUM 1", "ALMARHUM 2", "ALMARHUM 3"]
    assert all(c.number and c.applicant.name.startswith("AHLI WARIS") for c in cases)


def test_a_bad_nik_is_flagged_and_its_row_not_created(petugas_client, santunan, tmp_path):
    response = preview(petugas_client, santunan, tmp_path, [row(1), row(2, **{"NIK Almarhum": "35080115078"})])
    assert "NIK almarhum: NIK harus 16 angka; yang diisi 11 angka." in response.content.decode()
    petugas_client.post(URL, {"token": response.context["token"]})
    assert list(Case.objects.values_list("beneficiary__name", flat=True)) == ["ALMARHUM 1"]


def test_the_same_almarhum_twice_is_flagged(petugas_client, santunan, tmp_path):
    twice = row(2, **{"NIK Almarhum": row(1)["NIK Almarhum"]})
    response = preview(petugas_client, santunan, tmp_path, [row(1), twice])
    assert "Almarhum yang sama sudah ada di baris 2." in response.content.decode()


def test_an_almarhum_already_in_a_case_is_flagged(petugas_client, santunan, tmp_path):
    first = preview(petugas_client, santunan, tmp_path, [row(1)])
    petugas_client.post(URL, {"token": first.context["token"]})
    number = Case.objects.get().number
    again = preview(petugas_client, santunan, tmp_path, [row(1)])
    assert f"sudah menjadi penerima pada permohonan {number}" in again.content.decode()


def test_a_recap_confirmed_twice_makes_its_cases_once(petugas_client, santunan, tmp_path):
    token = preview(petugas_client, santunan, tmp_path, [row(1), row(2)]).context["token"]
    first = petugas_client.post(URL, {"token": token})
    second = petugas_client.post(URL, {"token": token})
    assert (Case.objects.count(), RecapJob.objects.count(), second.url) == (2, 1, first.url)


def test_a_tampered_preview_is_refused(petugas_client, santunan, tmp_path):
    token = preview(petugas_client, santunan, tmp_path, [row(1)]).context["token"]
    response = petugas_client.post(URL, {"token": re.sub(r".$", "x", token)})
    assert "Pratinjau kedaluwarsa atau rusak" in response.content.decode()
    assert Case.objects.count() == 0


def test_another_users_preview_is_refused(client, demo_users, santunan, tmp_path):
    client.force_login(demo_users["lumajang-petugas"])
    token = preview(client, santunan, tmp_path, [row(1)]).context["token"]
    with pytest.raises(intake.RecapRefused):
        intake.unsign(user=demo_users["lumajang-peksos"], token=token)


def test_a_recap_without_the_nik_columns_is_refused(petugas_client, santunan, tmp_path):
    path = extracts.write_csv(tmp_path / "r.csv", ["Nama Almarhum", "Nama Ahli Waris"], [{"Nama Almarhum": "A"}])
    response = petugas_client.post(
        URL, {"sop": santunan.pk, "district": "Tempeh", "file": SimpleUploadedFile("r.csv", path.read_bytes())}
    )
    assert "Kolom wajib tidak ditemukan: NIK almarhum, Tanggal meninggal, NIK ahli waris." in response.content.decode()


def test_an_xlsx_recap_with_real_dates_is_read(petugas_client, santunan, tmp_path):
    path = extracts.write_xlsx(tmp_path / "r.xlsx", HEADERS, [row(1, **{"Tgl Meninggal": datetime.date(2026, 10, 3)})])
    response = petugas_client.post(
        URL, {"sop": santunan.pk, "district": "Tempeh", "file": SimpleUploadedFile("r.xlsx", path.read_bytes())}
    )
    assert response.context["checked"][0]["death_date"] == datetime.date(2026, 10, 3)


def test_dates_are_read_as_kecamatan_staff_write_them():
    texts = ("03/10/2026", "3-10-2026", "2026-10-03", "3 Oktober 2026")
    assert [intake.parse_date(t) for t in texts] == [datetime.date(2026, 10, 3)] * 4


@pytest.mark.parametrize(
    "name, content",
    [
        ("rekap.xlsx", b"this is not a zip file at all"),
        ("rekap.xlsx", b"PK\x03\x04" + b"\x00" * 40),  # a zip header with nothing behind it
        ("rekap.csv", "Nama Almarhum;NIK Almarhum\nSITI;3508".encode("utf-16")),  # not UTF-8
    ],
)
def test_a_damaged_recap_is_a_message_not_a_500(petugas_client, santunan, name, content):
    response = petugas_client.post(
        URL, {"sop": santunan.pk, "district": "Tempeh", "file": SimpleUploadedFile(name, content)}
    )

    assert response.status_code == 200
    assert intake.UNREADABLE in response.content.decode()


def test_an_xlsx_that_unpacks_to_more_than_any_recap_is_refused(petugas_client, santunan, tmp_path, monkeypatch):
    monkeypatch.setattr(intake, "MAX_XLSX_UNPACKED", 1000)  # the real bound is 50 MiB; the file is a few KiB
    path = extracts.write_xlsx(tmp_path / "rekap.xlsx", HEADERS, [row(1), row(2)])

    response = petugas_client.post(
        URL, {"sop": santunan.pk, "district": "Tempeh", "file": SimpleUploadedFile("rekap.xlsx", path.read_bytes())}
    )

    assert "terlalu besar setelah dibuka" in response.content.decode()
    assert not Case.objects.filter(sop=santunan).exists()


def test_a_recap_longer_than_the_bound_is_refused(petugas_client, santunan, tmp_path, monkeypatch):
    monkeypatch.setattr(intake, "MAX_RECAP_ROWS", 2)

    response = preview(petugas_client, santunan, tmp_path, [row(1), row(2), row(3)])

    assert "lebih dari 2 baris" in response.content.decode()


def confirm(client, santunan, tmp_path, rows):
    token = preview(client, santunan, tmp_path, rows).context["token"]
    return client.post(URL, {"token": token})


def test_a_long_recap_is_made_a_chunk_per_request_with_its_progress(petugas_client, santunan, tmp_path, monkeypatch):
    monkeypatch.setattr(intake, "CHUNK", 2)
    response = confirm(petugas_client, santunan, tmp_path, [row(n) for n in range(1, 6)])
    job = RecapJob.objects.get()
    assert response.url == f"/permohonan/rekap/{job.pk}/"
    assert (job.done, job.total, Case.objects.count(), job.finished_at) == (2, 5, 2, None)
    page = petugas_client.get(response.url).content.decode()
    assert "data-recap-done>2</span> dari 5 baris diproses" in page and 'data-testid="recap-next"' in page
    state = petugas_client.post(f"{response.url}lanjut/", headers={"Accept": "application/json"}).json()
    assert state == {"done": 4, "total": 5, "percent": 80, "finished": False, "created": 4, "skipped": 0}
    assert petugas_client.get(f"{response.url}?format=json").json()["done"] == 4
    petugas_client.post(f"{response.url}lanjut/")
    job.refresh_from_db()
    assert (job.done, Case.objects.count(), job.rows_data) == (5, 5, "")
    assert job.finished_at is not None
    assert "Selesai: 5 baris diproses" in petugas_client.get(response.url).content.decode()


def test_a_finished_job_asked_again_makes_nothing_more(petugas_client, santunan, tmp_path):
    response = confirm(petugas_client, santunan, tmp_path, [row(1), row(2, **{"NIK Almarhum": "123"})])
    job = RecapJob.objects.get()
    RecapJob.objects.filter(pk=job.pk).update(done=0)  # were the job run again, its rows would be seen again
    petugas_client.post(f"{response.url}lanjut/")
    again = RecapJob.objects.get()
    assert (again.finished_at, again.created_cases, again.skipped) == (job.finished_at, job.created_cases, job.skipped)
    assert Case.objects.count() == 1


def test_a_row_that_became_a_duplicate_between_chunks_is_skipped(petugas_client, santunan, tmp_path, monkeypatch):
    monkeypatch.setattr(intake, "CHUNK", 1)
    first = confirm(petugas_client, santunan, tmp_path, [row(1), row(2)])
    confirm(petugas_client, santunan, tmp_path, [row(2, **{"Nama Ahli Waris": "AHLI WARIS LAIN"})])
    petugas_client.post(f"{first.url}lanjut/")
    job = RecapJob.objects.get(pk=first.url.split("/")[-2])
    assert [s["number"] for s in job.skipped] == [3]
    assert "sudah menjadi penerima" in job.skipped[0]["problems"][0]
    assert Case.objects.filter(beneficiary__name="ALMARHUM 2").count() == 1


def test_the_rows_waiting_in_a_job_are_stored_encrypted(petugas_client, santunan, tmp_path, monkeypatch):
    monkeypatch.setattr(intake, "CHUNK", 1)
    confirm(petugas_client, santunan, tmp_path, [row(1), row(2)])
    with connection.cursor() as cursor:
        cursor.execute("SELECT rows_data FROM cases_recapjob")
        (stored,) = cursor.fetchone()
    assert stored and extracts.nik(102) not in stored and "ALMARHUM 2" not in stored


def test_another_petugas_cannot_see_or_run_the_job(client, petugas_client, demo_users, santunan, tmp_path, monkeypatch):
    monkeypatch.setattr(intake, "CHUNK", 1)
    url = confirm(petugas_client, santunan, tmp_path, [row(1), row(2)]).url
    colleague = User.objects.create_user("petugas-lain", agency=demo_users["lumajang-petugas"].agency)
    colleague.groups.set(demo_users["lumajang-petugas"].groups.all())
    for user in (colleague, demo_users["solok-petugas"]):
        client.force_login(user)
        assert (client.get(url).status_code, client.post(f"{url}lanjut/").status_code) == (404, 404)
    assert Case.objects.count() == 1


def test_an_almarhum_named_twice_who_already_has_a_case_is_flagged_on_both_rows(petugas_client, santunan, tmp_path):
    confirm(petugas_client, santunan, tmp_path, [row(1)])
    again = preview(petugas_client, santunan, tmp_path, [row(1), row(1, **{"Nama Ahli Waris": "AHLI WARIS LAIN"})])
    assert [c["ok"] for c in again.context["checked"]] == [False, False]
    petugas_client.post(URL, {"token": again.context["token"]})
    assert Case.objects.filter(beneficiary__name="ALMARHUM 1").count() == 1


def test_an_heir_already_applicant_is_noted_without_stopping_the_row(petugas_client, santunan, tmp_path):
    confirm(petugas_client, santunan, tmp_path, [row(1)])
    again = preview(petugas_client, santunan, tmp_path, [row(2, **{"NIK Ahli Waris": extracts.nik(501, female=True)})])
    (checked,) = again.context["checked"]
    assert checked["ok"] and checked["notes"][0].startswith("Ahli waris ini juga pemohon pada permohonan LMJ/")
    assert "Ahli waris ini juga pemohon" in again.content.decode()


def test_a_value_longer_than_its_field_is_flagged_in_the_preview(petugas_client, santunan, tmp_path):
    long_phone = "0812 3456 7890 / 0856 1234 5678 (anak)"
    response = preview(petugas_client, santunan, tmp_path, [row(1, **{"No HP": long_phone})])
    assert response.context["checked"][0]["problems"] == ["No HP lebih dari 30 huruf."]


def test_a_row_the_database_refuses_is_listed_and_the_job_goes_on(petugas_client, santunan, tmp_path, monkeypatch):
    real = services.create_person

    def refuse_one(*, data, **kwargs):
        if data["name"] == "AHLI WARIS 2":
            raise ValidationError({"name": "Nama ditolak."})
        return real(data=data, **kwargs)

    monkeypatch.setattr(services, "create_person", refuse_one)
    response = confirm(petugas_client, santunan, tmp_path, [row(1), row(2), row(3)])
    job = RecapJob.objects.get()
    assert (job.finished_at is not None, len(job.created_cases), response.status_code) == (True, 2, 302)
    assert job.skipped == [{"number": 3, "name": "ALMARHUM 2", "problems": ["Tidak dapat dibuat: Nama ditolak."]}]
    assert not Person.objects.filter(name="ALMARHUM 2").exists()


def test_a_new_version_published_mid_job_takes_the_remaining_rows(
    petugas_client, santunan, tmp_path, monkeypatch, demo_users
):
    monkeypatch.setattr(intake, "CHUNK", 1)
    url = confirm(petugas_client, santunan, tmp_path, [row(1), row(2)]).url
    newer = create_new_version(santunan)
    publish_version(newer, revised="2026-12-02", effective="2026-12-02")
    petugas_client.post(f"{url}lanjut/")
    assert list(Case.objects.order_by("pk").values_list("sop_id", flat=True)) == [santunan.pk, newer.pk]


def test_a_service_withdrawn_mid_job_stops_it_with_the_reason(petugas_client, santunan, tmp_path, monkeypatch):
    monkeypatch.setattr(intake, "CHUNK", 1)
    url = confirm(petugas_client, santunan, tmp_path, [row(1), row(2), row(3)]).url
    SOP.objects.filter(pk=santunan.pk).update(status=SOP.RETIRED)
    assert petugas_client.post(f"{url}lanjut/").status_code == 302
    job = RecapJob.objects.get()
    assert [s["number"] for s in job.skipped] == [3, 4] and job.rows_data == ""
    assert job.skipped[0]["problems"] == ["Tidak dibuat: layanan ini tidak berlaku lagi."]
    assert Case.objects.count() == 1


def test_a_job_left_for_a_day_is_closed_and_its_rows_wiped(petugas_client, santunan, tmp_path, monkeypatch):
    monkeypatch.setattr(intake, "CHUNK", 1)
    confirm(petugas_client, santunan, tmp_path, [row(1), row(2)])
    RecapJob.objects.update(started_at=timezone.now() - datetime.timedelta(hours=25))
    out = io.StringIO()
    call_command("close_recap_jobs", stdout=out)
    job = RecapJob.objects.get()
    assert (out.getvalue().strip(), job.rows_data, job.done) == ("Rekap ditutup: 1", "", 2)
    assert "dalam 24 jam" in job.skipped[0]["problems"][0] and job.finished_at is not None


def test_the_skipped_rows_keep_no_nik_digits(petugas_client, santunan, tmp_path):
    bad = "3508019902850001"  # day 99: not a date
    confirm(petugas_client, santunan, tmp_path, [row(1, **{"NIK Almarhum": bad})])
    (skipped,) = RecapJob.objects.get().skipped
    assert skipped["problems"][0].startswith("NIK almarhum: Tanggal lahir dalam NIK")
    assert "990285" not in json.dumps(skipped)


def test_the_finished_job_says_how_many_cases_were_made_once(petugas_client, santunan, tmp_path):
    response = confirm(petugas_client, santunan, tmp_path, [row(1)])
    assert "1 permohonan dibuat dari rekap Kecamatan Tempeh." in petugas_client.get(response.url).content.decode()
    assert "1 permohonan dibuat dari rekap" not in petugas_client.get(response.url).content.decode()
