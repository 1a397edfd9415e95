"""SOP versions as drafts until published: Terbitkan, version pages and PDFs, the comparison page."""

import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from sop_catalog.models import SOP, Step
from sop_catalog.selectors import active_sops_for
from sop_catalog.services import LifecycleError, create_new_version, publish_errors, publish_version
from tests.factories import CaseFactory, LetterTemplateFactory, SOPFactory

pytestmark = pytest.mark.django_db


def pdf_text(content):
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


@pytest.fixture
def v2(spm):
    """Version 2 of the Lumajang sample SPM, a draft whose step 1 is reworded."""
    draft = create_new_version(spm)
    Step.objects.filter(flow__sop=draft, no=1).update(activity="Petugas memeriksa berkas versi dua")
    return draft


def test_a_new_version_is_a_draft_nobody_outside_the_admin_sees(client, spm, v2, lumajang):
    assert (v2.status, v2.is_current) == (SOP.DRAFT, False)
    assert list(active_sops_for(lumajang).filter(slug=spm.slug)) == [spm]  # the front desk keeps v1
    assert client.get(f"/katalog/{spm.slug}/v2/").status_code == 404
    assert client.get(f"/katalog/{spm.slug}/v2.pdf").status_code == 404
    assert client.get(f"/katalog/{spm.slug}/banding/?dari=1&ke=2").status_code == 404
    assert "versi dua" not in client.get(f"/katalog/{spm.slug}/").content.decode()
    listing = client.get("/katalog/", {"instansi": "lumajang", "q": spm.name}).content.decode()
    assert listing.count(f"/katalog/{spm.slug}/") == 1


def test_a_new_sop_in_the_admin_is_neither_listed_nor_offered(lumajang):
    sop = SOPFactory(status=SOP.DRAFT, is_current=False)

    assert not active_sops_for(lumajang).filter(pk=sop.pk).exists()
    assert Client().get(f"/katalog/{sop.slug}/").status_code == 404


def test_publishing_checks_the_version_first(lumajang):
    empty = SOPFactory(status=SOP.DRAFT, is_current=False, approved_by_name="")

    errors = publish_errors(empty)

    assert "Belum ada alur langkah." in errors
    assert "Belum ada kolom pelaksana." in errors
    assert any("disahkan oleh" in error for error in errors)
    with pytest.raises(LifecycleError):
        publish_version(empty, revised="2026-12", effective="2026-12")
    assert SOP.objects.get(pk=empty.pk).status == SOP.DRAFT


def test_an_sop_with_letters_needs_its_signing_step(spm, v2):
    LetterTemplateFactory(sop_slug=spm.slug, kind="rekomendasi")
    Step.objects.filter(flow__sop=v2).update(signs=False)

    assert any("tandai satu langkah" in error for error in publish_errors(v2))


def test_publishing_makes_the_version_current_and_cases_in_flight_keep_the_old(client, spm, v2, lumajang):
    case = CaseFactory(sop=spm, registered=True)

    previous = publish_version(v2, revised="2026-12", effective="2026-12-15", by="lumajang-admin")

    assert previous == spm
    v2.refresh_from_db()
    assert (v2.status, v2.is_current, v2.revised, v2.effective) == (SOP.ACTIVE, True, "2026-12", "2026-12-15")
    assert v2.published_at is not None and v2.published_by == "lumajang-admin"
    assert list(active_sops_for(lumajang).filter(slug=spm.slug)) == [v2]
    case.refresh_from_db()
    assert case.sop_id == spm.pk
    assert "versi dua" in client.get(f"/katalog/{spm.slug}/").content.decode()


def test_every_version_has_its_own_page_and_pdf(client, spm, v2):
    publish_version(v2, revised="2026-12", effective="2026-12-15")

    old_page = client.get(f"/katalog/{spm.slug}/v1/").content.decode()
    new_page = client.get(f"/katalog/{spm.slug}/v2/").content.decode()
    old_pdf = client.get(f"/katalog/{spm.slug}/v1.pdf")

    assert "versi dua" not in old_page and "Versi lama (1)" in old_page
    assert f'href="/katalog/{spm.slug}/v1.pdf"' in old_page
    assert "versi dua" in new_page
    assert old_pdf.status_code == 200
    assert "Petugas menerima pemohon dan melakukan wawancara" in pdf_text(old_pdf.content)
    assert "versi dua" not in pdf_text(old_pdf.content)
    assert "versi dua" in pdf_text(client.get(f"/katalog/{spm.slug}/v2.pdf").content)


def test_the_comparison_page_shows_what_changed(client, spm, v2):
    Step.objects.filter(flow__sop=v2, no=2).update(time_text="10 menit", time_min=10, time_max=10, time_unit="minute")
    Step.objects.filter(flow__sop=v2, no=1).update(document="ba_serah_terima")
    v2.legal_bases.create(order=99, text="Peraturan Bupati Uji Perbandingan")
    publish_version(v2, revised="2026-12", effective="2026-12-15")

    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/katalog/{spm.slug}/banding/", {"dari": 1, "ke": 2})
    page = response.content.decode()

    assert response.status_code == 200
    # The versions, then each version with everything prefetched: no query per field, list or step.
    assert len(queries) <= 23, [q["sql"][:120] for q in queries]
    assert "Petugas memeriksa berkas versi dua" in page
    assert "Petugas menerima pemohon dan melakukan wawancara" in page
    assert '<li class="diff-add"><span class="visually-hidden">ditambah: </span>Peraturan Bupati Uji' in page
    assert "10 menit (10 menit)" in page
    assert "Berita acara serah terima klien" in page  # the berita acara a step produces
    assert "December" not in page and "Desember 2026" in page  # tanggal revisi, as written in Indonesian
    assert client.get(f"/katalog/{spm.slug}/banding/").content.decode().count("diff-add") >= 1  # v1 → v2 by default
    assert client.get(f"/katalog/{spm.slug}/banding/", {"dari": "x"}).status_code == 404


def test_the_admin_publish_page_counts_cases_and_publishes(client, demo_users, spm, v2):
    CaseFactory(sop=spm, registered=True)
    client.force_login(demo_users["lumajang-admin"])
    url = reverse("admin:sop_catalog_sop_publish", args=[v2.pk])

    page = client.get(url).content.decode()
    response = client.post(url, {"revised": "2026-12", "effective": "2026-12-15"})

    assert "1 permohonan berjalan</strong> tetap memakai versi 1" in page
    assert response.status_code == 302
    assert SOP.objects.get(slug=spm.slug, is_current=True) == v2


def test_the_admin_publish_page_refuses_another_agencys_admin(client, demo_users, v2):
    client.force_login(demo_users["solok-admin"])
    url = reverse("admin:sop_catalog_sop_publish", args=[v2.pk])

    assert client.get(url).status_code in (302, 404)
    assert client.post(url, {"revised": "2026-12", "effective": "2026-12-15"}).status_code in (302, 404)
    assert SOP.objects.get(pk=v2.pk).status == SOP.DRAFT


def test_the_publish_page_lists_what_blocks_it(client, demo_users, v2):
    Step.objects.filter(flow__sop=v2).delete()
    client.force_login(demo_users["lumajang-admin"])
    url = reverse("admin:sop_catalog_sop_publish", args=[v2.pk])

    page = client.get(url).content.decode()
    client.post(url, {"revised": "2026-12", "effective": "2026-12-15"})

    assert "belum ada langkah" in page
    assert "Terbitkan versi" not in page
    assert SOP.objects.get(pk=v2.pk).status == SOP.DRAFT


def test_retiring_takes_the_sop_out_of_the_catalog_and_the_front_desk(client, demo_users, spm, lumajang):
    client.force_login(demo_users["lumajang-admin"])

    response = client.post(
        reverse("admin:sop_catalog_sop_changelist"),
        {"action": "retire_sops", "_selected_action": [spm.pk]},
        follow=True,
    )

    assert "tidak berlaku lagi" in response.content.decode()
    assert SOP.objects.get(pk=spm.pk).status == SOP.RETIRED
    assert not active_sops_for(lumajang).filter(slug=spm.slug).exists()
    assert client.get(f"/katalog/{spm.slug}/").status_code == 404
    assert client.get(f"/katalog/{spm.slug}/v1/").status_code == 200  # still readable by number


def test_load_sops_leaves_a_draft_in_preparation_alone(catalog):
    from django.core.management import call_command  # noqa: PLC0415

    spm = SOP.objects.get(slug="lumajang-spm", is_current=True)
    draft = create_new_version(spm)
    out = io.StringIO()

    call_command("load_sops", stdout=out)

    assert "sop lumajang-spm: dilewati: diubah admin sejak dimuat" in out.getvalue()
    assert list(SOP.objects.filter(slug="lumajang-spm").order_by("version")) == [spm, draft]
    assert SOP.objects.get(pk=draft.pk).status == SOP.DRAFT
