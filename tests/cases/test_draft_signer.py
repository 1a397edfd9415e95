"""A draft letter and a template's preview carry the block of the desk that will sign: the Kepala Dinas,
or the Sekretaris "a.n. Kepala Dinas Sosial" where the SOP's signing step is at the Sekdin desk
(issue #14, item 5). The signed letter's block is the signer's (tests/agencies/test_org.py)."""

import datetime
import io

import pytest
from pypdf import PdfReader

from agencies.models import Official, Position
from cases import letters
from cases.models import IssuedDocument, LetterTemplate
from sop_catalog.models import SOP, Step
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

KADIS_NAME = "Dra. DEWI SUSIYANTI"
SEKDIN_NAME = "DEMO SEKRETARIS LUMAJANG"


def text_of(content):
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


def spm_draft():
    case = CaseFactory(registered=True)  # the SPM of Lumajang, with its letter's draft
    return IssuedDocument.objects.get(case=case, status=IssuedDocument.DRAFT)


@pytest.fixture
def signed_by_sekdin(catalog):
    """The SPM with its signing step moved to the Sekdin desk (the Sekretaris signs a.n. the Kadis)."""
    spm = SOP.objects.get(slug="lumajang-spm", is_current=True)
    signing = Step.objects.filter(flow__sop=spm, signs=True)
    assert signing.count() == 1
    signing.update(desk="sekdin")  # the SOP is locked on first use; its row is set as an admin would have
    return spm


def test_a_kadis_signed_sops_draft_carries_the_kepala_dinas_block(catalog):
    text = text_of(letters.draft_pdf(spm_draft()))

    assert "KONSEP" in text and f"Kepala Dinas Sosial Kabupaten Lumajang {KADIS_NAME}" in text, text[-500:]
    assert "a.n." not in text and SEKDIN_NAME not in text


def test_a_sekdin_signed_sops_draft_carries_the_sekretaris_block_on_behalf(signed_by_sekdin):
    draft = spm_draft()
    assert list(draft.case.steps.filter(sop_step__signs=True).values_list("desk", flat=True)) == ["sekdin"]

    text = text_of(letters.draft_pdf(draft))

    assert f"a.n. Kepala Dinas Sosial Sekretaris Dinas Sosial {SEKDIN_NAME}" in text, text[-500:]
    assert KADIS_NAME not in text, text[-500:]


def test_a_plt_sekretaris_today_is_the_drafts_signer(signed_by_sekdin):
    sekdin = Position.objects.get(agency__slug="lumajang", desk="sekdin")
    Official.objects.create(position=sekdin, name="Drs. PLT SEKRETARIS", acting=Official.PLT,
                            start=datetime.date(2000, 1, 1))  # fmt: skip

    text = text_of(letters.draft_pdf(spm_draft()))

    assert "Plt. Sekretaris Dinas Sosial" in text and "Drs. PLT SEKRETARIS" in text and SEKDIN_NAME not in text


def test_a_sekdin_signed_sops_draft_with_nobody_at_the_desk_leaves_the_name_blank(signed_by_sekdin):
    Official.objects.filter(position__agency__slug="lumajang", position__desk="sekdin").delete()

    text = text_of(letters.draft_pdf(spm_draft()))

    assert "a.n. Kepala Dinas Sosial" in text and "Sekretaris Dinas Sosial" in text and "…………………" in text
    assert KADIS_NAME not in text and SEKDIN_NAME not in text


@pytest.mark.parametrize("desk, prefix, name", [("kadis", "", KADIS_NAME), ("sekdin", "a.n. ", SEKDIN_NAME)])
def test_a_templates_preview_carries_the_block_of_the_desk_that_signs(catalog, desk, prefix, name):
    if desk == "sekdin":
        Step.objects.filter(flow__sop__slug="lumajang-spm", signs=True).update(desk="sekdin")
    template = LetterTemplate.objects.filter(agency__slug="lumajang", sop_slug="lumajang-spm").first()

    text = text_of(letters.preview_pdf(template))

    assert name in text and ("a.n. Kepala Dinas Sosial" in text) == bool(prefix), text[-500:]
    assert (KADIS_NAME if desk == "sekdin" else SEKDIN_NAME) not in text
