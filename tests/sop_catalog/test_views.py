import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from sop_catalog.models import SOP
from sop_catalog.printing import sop_context
from sop_catalog.services import create_new_version, import_sops, publish_version
from tests.conftest import sample_data

pytestmark = pytest.mark.django_db


def pdf_text(content):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_catalog_lists_sops_without_login(client, sample_sop):
    response = client.get("/katalog/")

    assert response.status_code == 200
    assert sample_sop.name in response.content.decode()


def test_the_catalog_searches_by_name_and_number(client, sample_sop):
    assert sample_sop.name in client.get("/katalog/", {"q": "pernyataan miskin"}).content.decode()
    assert sample_sop.name in client.get("/katalog/", {"q": "400.9"}).content.decode()
    assert sample_sop.name not in client.get("/katalog/", {"q": "adopsi"}).content.decode()


def test_the_catalog_filters_by_agency(client, sample_sop, agencies):
    assert sample_sop.name not in client.get("/katalog/", {"instansi": "lumajang"}).content.decode()
    assert sample_sop.name in client.get("/katalog/", {"instansi": "contoh"}).content.decode()


def test_the_catalog_list_uses_a_fixed_number_of_queries(client, sample_sop):
    with CaptureQueriesContext(connection) as one:
        client.get("/katalog/", {"instansi": "contoh"})
    data = sample_data()
    for n in range(30):
        data[0]["slug"] = f"contoh-spm-{n}"
        data[0]["number"] = f"400.9/{n}/2026"
        import_sops(data)

    with CaptureQueriesContext(connection) as many:
        response = client.get("/katalog/", {"instansi": "contoh"})

    assert len(many) == len(one)
    assert "Halaman 1 dari 2" in response.content.decode()


def test_the_sop_page_shows_identity_roles_and_steps(client, sample_sop):
    page = client.get(f"/katalog/{sample_sop.slug}/").content.decode()

    for text in [
        "400.9/IV/1.03/2026",
        "Agustus 2017",
        "21 September 2020",
        "NIP. 19640617 199603 2 002",
        "Pengelola",
        "Kadin",
        "Petugas memeriksa kelengkapan dokumen",
        "Ya: lanjut",
        "Tidak: ke pemohon",
        "1 hari kerja + 55 menit (1 langkah tanpa standar waktu)",
    ]:
        assert text in page


def test_an_unknown_sop_is_a_404(client, db):
    assert client.get("/katalog/tidak-ada/").status_code == 404
    assert client.get("/katalog/tidak-ada.pdf").status_code == 404


def test_an_old_version_stays_readable(client, sample_sop):
    publish_version(create_new_version(sample_sop), revised="2026-12", effective="2026-12-02")

    response = client.get(f"/katalog/{sample_sop.slug}/v1/")

    assert "Versi lama (1)" in response.content.decode()


def test_the_pdf_holds_the_number_and_every_activity(client, sample_sop):
    response = client.get(f"/katalog/{sample_sop.slug}.pdf")

    assert response["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(response.content).split())
    assert "400.9/IV/1.03/2026" in text
    for step in ["Petugas menerima pemohon dan melakukan wawancara", "Kepala Dinas menandatangani SPM"]:
        assert step in text
    assert "Halaman 1 dari 1" in text


@pytest.mark.long(4)
def test_a_long_flow_breaks_across_pages_with_offpage_connectors(client, sample_sop):
    data = sample_data()
    steps = data[0]["flows"][0]["steps"]
    template = steps[2]
    for no in range(6, 40):
        steps.insert(-1, {**template, "no": no, "activity": f"Langkah tambahan nomor {no}", "branches": []})
    for no, step in enumerate(steps, start=1):
        step["no"] = no
    import_sops(data)

    response = client.get(f"/katalog/{sample_sop.slug}.pdf")

    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) >= 3
    second = " ".join(reader.pages[1].extract_text().split())
    assert "Kegiatan" in second  # the table header repeats
    assert SOP.objects.get(slug=sample_sop.slug).flows.get().steps.count() == 39


def test_offpage_connectors_are_drawn_at_each_break(sample_sop):
    context = sop_context(sample_sop, breaks={1: {3}})
    rows = context["flows"][0]["rows"]

    assert rows[1].cells[1].offpage_out
    assert rows[2].cells[2].offpage_in
    assert rows[2].page_break_before
