import pytest
from django.urls import reverse

from cases.models import LetterTemplate
from sop_catalog.models import SOP
from tests.admin_forms import form_data
from tests.cases.test_naskah import BERITA_ACARA, LETTERS, assert_no_bare_dash, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def lumajang_admin(client, demo_users):
    client.force_login(demo_users["lumajang-admin"])
    return client


@pytest.mark.long(3)
@pytest.mark.parametrize("slug", ["lumajang", "solok"])
def test_an_agency_admin_previews_its_templates_with_a_sample_signer(client, demo_users, slug):
    """Every template of the agency (each SOP's letter, each berita acara, the surat penolakan) previews
    with the sample case: the only rendering of the previews in the suite, each read here."""
    client.force_login(demo_users[f"{slug}-admin"])
    templates = list(LetterTemplate.objects.filter(agency__slug=slug))
    seeded = {(row["sop_slug"], row["kind"]) for row in LETTERS if row["agency"] == slug}
    assert {(t.sop_slug, t.kind) for t in templates} == seeded
    assert {LetterTemplate.PENOLAKAN, *BERITA_ACARA} <= {kind for _sop, kind in seeded}

    answers = {t.pk: client.get(reverse("admin:cases_lettertemplate_preview", args=[t.pk])) for t in templates}

    assert {pk: r.status_code for pk, r in answers.items()} == {pk: 200 for pk in answers}
    assert all(r["Content-Type"] == "application/pdf" for r in answers.values())
    for template in templates:
        text = text_of(answers[template.pk].content, f"preview-{slug}-{template.sop_slug or template.kind}")
        assert "SITI AMINAH (CONTOH)" in text and "KONSEP" in text, template.title
        assert_no_bare_dash(text)
        if template.kind == LetterTemplate.PENOLAKAN:
            assert "dengan alasan: Contoh alasan penolakan" in text


def test_the_change_page_lists_the_variables(lumajang_admin):
    template = LetterTemplate.objects.filter(agency__slug="lumajang").first()

    page = lumajang_admin.get(reverse("admin:cases_lettertemplate_change", args=[template.pk])).content.decode()

    assert "variabel yang tersedia" in page.lower()
    assert "pemohon.nama" in page and "surat.tanggal_terbilang" in page and "padanan.kalimat" in page


def test_the_sop_is_picked_from_the_agencys_sops(lumajang_admin):
    template = LetterTemplate.objects.filter(agency__slug="lumajang", sop_slug__gt="").first()
    page_url = reverse("admin:cases_lettertemplate_change", args=[template.pk])
    page = lumajang_admin.get(page_url)
    choices = dict(page.context["adminform"].form.fields["sop_slug"].choices)
    solok_slug = SOP.objects.filter(agency__slug="solok").values_list("slug", flat=True).first()

    typo = lumajang_admin.post(page_url, form_data(page, sop_slug="lumajang-spmm"))
    foreign = lumajang_admin.post(page_url, form_data(page, sop_slug=solok_slug))

    assert template.sop_slug in choices and solok_slug not in choices
    assert set(choices) - {""} == set(SOP.objects.filter(agency__slug="lumajang").values_list("slug", flat=True))
    assert "sop_slug" in typo.context["adminform"].form.errors
    assert "sop_slug" in foreign.context["adminform"].form.errors
    assert LetterTemplate.objects.get(pk=template.pk).sop_slug == template.sop_slug
