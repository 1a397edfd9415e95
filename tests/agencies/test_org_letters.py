"""Issued letters carry the block of who acts on the signing day (issue #14, items 5 and 9): a Plh.
during their period, the definitive Kepala Dinas once a Plt.'s period is over."""

import datetime
import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from agencies.models import Official, Position
from cases import workflow
from cases.models import Case, IssuedDocument
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
DEFINITIVE = "Dra. DEWI SUSIYANTI"


def signed_text(walk, user):
    """The SPM walked to the Kepala Dinas and signed there by `user`: its issued letter's text."""
    case = CaseFactory(registered=True)
    while Case.objects.get(pk=case.pk).state != Case.AT_KADIS:
        current = Case.objects.get(pk=case.pk).current_step
        case = walk(case, branch="Ya" if current.sop_step.branches.exists() else "")
    case = Case.objects.get(pk=case.pk)
    case = workflow.complete_step(case=case, user=user, step_id=case.current_step_id)
    letter = IssuedDocument.objects.get(case=case, status=IssuedDocument.ISSUED)
    assert letter.signed_by == user
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(letter.pdf.read())).pages)
    return " ".join(text.split()), letter


def kadis_position():
    return Position.objects.get(agency__slug="lumajang", desk="kadis")


def test_a_letter_signed_by_a_plh_during_their_period_carries_the_plh_block(catalog, walk, django_user_model):
    kadis = kadis_position()
    plh_user = django_user_model.objects.create_user("plh-kadis", agency=kadis.agency)
    Official.objects.create(position=kadis, name="Drs. PELAKSANA HARIAN", nip="19750303 200003 1 003",
                            rank="Pembina (IV/a)", acting=Official.PLH, user=plh_user,
                            start=TODAY - DAY, end=TODAY + 2 * DAY)  # fmt: skip

    text, letter = signed_text(walk, plh_user)

    assert "Plh. Kepala Dinas Sosial" in text and "Drs. PELAKSANA HARIAN" in text, text[-400:]
    assert "19750303 200003 1 003" in text and DEFINITIVE not in text
    assert letter.signer["title"] == "Plh. Kepala Dinas Sosial"


def test_a_letter_signed_after_a_plts_period_carries_the_definitive_block(catalog, walk, demo_users, django_user_model):
    kadis = kadis_position()
    plt_user = django_user_model.objects.create_user("plt-kadis-lalu", agency=kadis.agency)
    Official.objects.create(position=kadis, name="Drs. PLT YANG LALU", acting=Official.PLT, user=plt_user,
                            start=TODAY - 31 * DAY, end=TODAY - DAY)  # fmt: skip
    definitive = django_user_model.objects.get(username="lumajang-kadis")

    text, letter = signed_text(walk, definitive)

    assert f"Kepala Dinas Sosial Kabupaten Lumajang {DEFINITIVE}" in text, text[-400:]
    assert "Plt." not in text and "Drs. PLT YANG LALU" not in text
    assert letter.signer["title"] == "Kepala Dinas Sosial" and letter.signer["name"] == DEFINITIVE
