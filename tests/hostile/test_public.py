"""Public endpoints that cannot be walked, read for secrets or used to exhaust the CPU."""

import itertools

import pytest

from cases.models import Case
from sop_catalog import printing
from sop_catalog.models import SOP, Step
from sop_catalog.services import create_new_version
from tests.cases.test_case_views import pdf_text

ADDRESSES = (f"10.9.{n // 250}.{n % 250 + 1}" for n in itertools.count())


@pytest.fixture
def address():
    """A client address of its own, so that no other test's requests count against the limit."""
    return next(ADDRESSES)


def test_the_status_page_without_the_code_says_only_that_the_number_exists(client, registered):
    page = client.get(f"/status/{registered.number}/").content.decode()

    assert 'data-testid="exists"' in page
    assert 'data-testid="status"' not in page
    assert registered.sop.name not in page
    assert registered.current_step.sop_step.activity[:30] not in page


def test_the_status_page_with_a_wrong_code_shows_nothing_more(client, registered):
    page = client.get(f"/status/{registered.number}/", {"kode": "00000000"}).content.decode()

    assert "Kode status tidak cocok" in page
    assert 'data-testid="status"' not in page and registered.sop.name not in page


def test_the_status_page_with_the_code_of_the_tanda_terima_shows_the_state(client, registered):
    page = client.get(f"/status/{registered.number}/", {"kode": registered.survey_code}).content.decode()

    assert 'data-testid="status"' in page and registered.sop.name in page


def test_the_tanda_terima_prints_the_status_code(petugas_client, registered):
    text = pdf_text(petugas_client.get(f"/permohonan/{registered.pk}/tanda-terima.pdf").content)

    assert f"Kode status: {registered.survey_code}" in text


def test_the_status_page_never_names_the_service_of_a_rahasia_case(client, registered):
    Case.objects.filter(pk=registered.pk).update(sifat="rahasia")

    page = client.get(f"/status/{registered.number}/", {"kode": registered.survey_code}).content.decode()

    assert 'data-testid="status"' in page
    assert registered.sop.name not in page


def test_walking_status_numbers_is_stopped_with_an_indonesian_429(client, registered, settings, address):
    settings.PUBLIC_RATE_LIMIT = 5
    prefix = registered.number.rsplit("/", 1)[0]

    codes = [client.get(f"/status/{prefix}/{n:06d}/", REMOTE_ADDR=address).status_code for n in range(1, 9)]

    assert 429 not in codes[:5]
    assert codes[5:] == [429, 429, 429]
    page = client.get(f"/status/{registered.number}/", REMOTE_ADDR=address).content.decode()
    assert "Terlalu banyak permintaan" in page


def test_the_rate_limit_is_per_address(client, registered, settings, address):
    settings.PUBLIC_RATE_LIMIT = 2
    for _ in range(3):
        client.get(f"/status/{registered.number}/", REMOTE_ADDR=address)

    other = client.get(f"/status/{registered.number}/", REMOTE_ADDR=next(ADDRESSES))

    assert other.status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/verifikasi/tidak-ada/", "/katalog/contoh-spm.pdf"],
)
def test_verification_and_public_pdfs_are_rate_limited(client, sample_sop, settings, address, path):
    settings.PUBLIC_RATE_LIMIT = 1
    client.get(path, REMOTE_ADDR=address)

    response = client.get(path, REMOTE_ADDR=address)

    assert response.status_code == 429
    assert response["Retry-After"] == "60"


def test_the_survey_post_is_rate_limited(client, registered, settings, address):
    settings.PUBLIC_RATE_LIMIT = 1
    client.get(f"/status/{registered.number}/", REMOTE_ADDR=address)

    response = client.post(f"/status/{registered.number}/", {"kode": registered.survey_code}, REMOTE_ADDR=address)

    assert response.status_code == 429


def test_a_public_sop_pdf_is_rendered_once_per_version(client, sample_sop, monkeypatch):
    calls = []
    render = printing.render_sop_pdf
    monkeypatch.setattr(printing, "render_sop_pdf", lambda sop, **kw: calls.append(sop.pk) or render(sop, **kw))

    first = client.get("/katalog/contoh-spm.pdf")
    second = client.get("/katalog/contoh-spm.pdf")

    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert calls == [sample_sop.pk]


def test_changing_a_step_renders_the_pdf_again(client, sample_sop, monkeypatch):
    calls = []
    render = printing.render_sop_pdf
    monkeypatch.setattr(printing, "render_sop_pdf", lambda sop, **kw: calls.append(sop.pk) or render(sop, **kw))
    client.get("/katalog/contoh-spm.pdf")
    step = Step.objects.filter(flow__sop=sample_sop).first()
    step.activity = "Petugas menerima pemohon (diperbarui)"
    step.save()

    text = pdf_text(client.get("/katalog/contoh-spm.pdf").content)

    assert len(calls) == 2
    assert "(diperbarui)" in text


@pytest.fixture
def draft_version(sample_sop):
    new = create_new_version(sample_sop)
    SOP.objects.filter(pk=new.pk).update(status=SOP.DRAFT)
    return new


def test_a_draft_sop_is_never_listed_publicly(client, sample_sop):
    SOP.objects.filter(pk=sample_sop.pk).update(status=SOP.DRAFT, is_current=False)

    page = client.get("/katalog/").content.decode()

    assert sample_sop.name not in page
    assert client.get("/katalog/contoh-spm/").status_code == 404
    assert client.get("/katalog/contoh-spm.pdf").status_code == 404
    assert client.get(f"/katalog/contoh-spm/v{sample_sop.version}/").status_code == 404
    assert client.get(f"/katalog/contoh-spm/v{sample_sop.version}.pdf").status_code == 404


def test_a_new_draft_version_leaves_the_published_one_public(client, sample_sop, draft_version):
    page = client.get("/katalog/contoh-spm/")

    assert page.status_code == 200
    assert page.context["sop"].pk == sample_sop.pk
    assert client.get(f"/katalog/contoh-spm/v{draft_version.version}/").status_code == 404
