"""bench/seed.py lays out each agency's cases as registration does, and leaves registration working."""

import pytest

from agencies.models import Agency, User
from bench import seed
from cases import services, workflow
from cases.models import Case, CaseStep, IssuedDocument, Paraf
from sop_catalog.models import SOP
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _registered(agency, sop_slug):
    petugas = User.objects.get(username=f"{agency.slug}-petugas")
    sop = SOP.objects.get(slug=sop_slug, is_current=True)
    person = PersonFactory(agency=agency)
    case = services.open_case(
        user=petugas, sop=sop, applicant=person, beneficiary=person, channel="datang", purpose="seed"
    )
    return services.register_case(case=case, user=petugas), petugas


@pytest.mark.parametrize("slug", list(seed.SOPS))
def test_the_layout_is_the_workflows(agencies, demo_users, slug):
    agency = Agency.objects.get(slug=slug)
    case, _ = _registered(agency, seed.SOPS[slug][0])
    layout, signs_at = seed.layout_of(case.flow)
    steps = list(case.steps.order_by("position"))
    assert [(s.sop_step_id, s.desk, s.part, s.no) for s in steps] == [
        (sop_step.pk, desk, part, sop_step.no) for sop_step, desk, part in layout
    ]
    signer = workflow.signing_step(case, steps)
    assert signs_at == (steps.index(signer) if signer else None)


def test_other_agencies_have_their_own_work_and_registration_numbers_on(agencies, demo_users):
    solok = Agency.objects.get(slug="solok")
    seed.seed(solok, 30)
    cases = Case.objects.filter(agency=solok, sop__slug=seed.SOPS["solok"][0])
    assert cases.count() == 30
    assert {case.current_step.desk for case in cases} >= {"petugas", "kadis"}  # 30 draws over 7 steps
    # A case registered after the seed takes the next number, not the first seeded one's.
    case, _ = _registered(solok, seed.SOPS["solok"][0])
    assert case.number.endswith("/000031")


def test_lumajang_cases_carry_their_draft_letters_and_paraf(agencies, demo_users):
    lumajang = Agency.objects.get(slug="lumajang")
    seed.seed(lumajang, 40)
    cases = Case.objects.filter(agency=lumajang).select_related("current_step")
    layout, signs_at = seed.layout_of(cases[0].flow)
    before = [c for c in cases if c.current_step.position - 1 <= signs_at]
    after = [c for c in cases if c.current_step.position - 1 > signs_at]
    assert before and after  # 40 draws over 11 steps, 2 after the signing one
    assert all(c.letters.filter(status=IssuedDocument.DRAFT).count() == 1 for c in before)
    assert all(c.state == Case.APPROVED and not c.letters.exists() for c in after)
    at_kadis = [c for c in before if c.current_step.desk == "kadis"]
    assert at_kadis
    assert set(Paraf.objects.filter(document__case=at_kadis[0]).values_list("desk", flat=True)) == {
        "kasi", "kabid", "sekdin"
    }  # fmt: skip
    assert CaseStep.objects.filter(case__in=cases, status=CaseStep.CURRENT).count() == 40
