"""Attacks that held in the security review, kept as regression tests."""

import pytest

from cases.models import CaseStep, Person
from sop_catalog.models import SOP
from tests.cases.test_case_views import pdf_text
from tests.conftest import give_all_documents


def test_another_agency_cannot_open_a_case_its_receipt_or_its_person(client, demo_users, registered):
    client.force_login(demo_users["solok-petugas"])

    assert client.get(f"/permohonan/{registered.pk}/").status_code == 404
    assert client.get(f"/permohonan/{registered.pk}/tanda-terima.pdf").status_code == 404
    assert client.get(f"/orang/{registered.applicant_id}/").status_code == 404


def test_a_forged_step_id_completes_nothing(client, demo_users, registered):
    client.force_login(demo_users["lumajang-petugas"])
    other = CaseStep.objects.filter(case=registered).exclude(pk=registered.current_step_id).first()
    assert other is not None

    client.post(f"/permohonan/{registered.pk}/tindakan/selesai/", {"step": other.pk})

    assert CaseStep.objects.get(pk=other.pk).status != CaseStep.DONE
    assert CaseStep.objects.get(pk=registered.current_step_id).status == CaseStep.CURRENT


def test_a_forged_branch_completes_nothing(client, demo_users, registered, walk):
    give_all_documents(registered, demo_users["lumajang-petugas"])
    case = walk(registered)  # now at the step with the branches Ya / Tidak
    client.force_login(demo_users["lumajang-petugas"])

    client.post(f"/permohonan/{case.pk}/tindakan/selesai/", {"step": case.current_step_id, "branch": "Lompat"})

    assert CaseStep.objects.get(pk=case.current_step_id).status == CaseStep.CURRENT


@pytest.mark.parametrize("target", ["https://penyerang.example/", "//penyerang.example/", "/\\penyerang.example"])
def test_the_login_does_not_redirect_off_site(client, demo_users, demo_password, target):
    response = client.post(f"/masuk/?next={target}", {"username": "lumajang-petugas", "password": demo_password})

    assert response.status_code == 302
    assert "penyerang" not in response["Location"]


@pytest.mark.parametrize("target", ["https://penyerang.example/", "//penyerang.example/"])
def test_the_second_factor_page_does_not_redirect_off_site(client, demo_users, target):
    client.force_login(demo_users["lumajang-kadis"])

    page = client.get("/2fa/", {"next": target}).content.decode()

    assert "penyerang" not in page


@pytest.mark.parametrize(
    "path", ["/dasbor/", "/admin/", "/laporan/ekspor/permohonan.csv", "/static/../dasbor/", "/2fa/../dasbor/"]
)
def test_no_path_skips_the_second_factor(client, demo_users, settings, path):
    settings.REQUIRE_2FA = True
    client.force_login(demo_users["lumajang-kadis"])

    response = client.get(path)

    assert response.status_code != 200
    if response.status_code == 302:
        assert response["Location"].startswith("/2fa/")


def test_html_in_a_name_is_text_in_the_pdf_and_reads_no_local_file(petugas_client, registered):
    name = '<img src="file:///etc/passwd"><link rel="stylesheet" href="file:///etc/hostname"> Siti'
    Person.objects.filter(pk=registered.applicant_id).update(name=name)

    text = pdf_text(petugas_client.get(f"/permohonan/{registered.pk}/tanda-terima.pdf").content)

    assert name in text
    assert "root:x:0:0" not in text


def test_html_in_a_service_name_is_escaped_on_the_public_status_page(client, registered):
    SOP.objects.filter(pk=registered.sop_id).update(name="<script>alert(1)</script>")

    page = client.get(f"/status/{registered.number}/", {"kode": registered.survey_code}).content.decode()

    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
