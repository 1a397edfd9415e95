"""Workflow decisions come from the SOP data (`Step.signs`, `Branch.action`), never from its wording."""

import pytest
from django.core.exceptions import ValidationError

from cases import services, workflow
from cases.models import AuditEntry, Case, LetterTemplate
from sop_catalog.models import SOP, Branch, BranchAction
from sop_catalog.services import import_sops
from tests.conftest import give_all_documents, sample_data
from tests.factories import LetterTemplateFactory, PersonFactory


@pytest.fixture
def variant(lumajang):
    """The sample SOP, changed by `change(data)`, imported for Lumajang."""

    def make(change):
        data = sample_data()
        data[0]["agency"] = {"name": lumajang.name, "slug": lumajang.slug, "region": lumajang.region}
        data[0]["slug"] = "lumajang-uji-data"
        data[0]["number"] = "UJI/DATA"
        change(data[0]["flows"][0]["steps"])
        import_sops(data)
        return SOP.objects.get(slug="lumajang-uji-data", is_current=True)

    return make


def register(sop, petugas):
    person = PersonFactory(agency=sop.agency)
    case = services.open_case(
        user=petugas, sop=sop, applicant=person, beneficiary=person, channel="datang", purpose="x"
    )
    give_all_documents(case, petugas)
    return services.register_case(case=case, user=petugas)


def walk_to_end(case, walk, branch="Ya"):
    for _ in range(20):
        case = Case.objects.get(pk=case.pk)
        if case.state in Case.CLOSED_STATES:
            return case
        choose = branch if case.current_step.sop_step.branches.exists() else ""
        case = walk(case, branch=choose, disposition={"instructions": ["Untuk diproses"]})
    raise AssertionError("the case did not reach its end")


def unmark(steps):
    steps[3].pop("signs")


def test_a_kadis_step_that_says_it_signs_but_is_not_marked_does_not_sign(variant, petugas, walk):
    case = walk_to_end(register(variant(unmark), petugas), walk)

    assert case.state == Case.COMPLETED
    assert not AuditEntry.objects.filter(case=case, action="sign").exists()


def test_the_marked_step_signs_whatever_its_wording(variant, petugas, walk):
    def reword(steps):
        steps[3]["activity"] = "Kepala Dinas memeriksa berkas"

    case = walk_to_end(register(variant(reword), petugas), walk)

    assert AuditEntry.objects.filter(case=case, action="sign", step__no=4).exists()


def test_the_kadis_part_of_a_shared_marked_step_signs(variant, petugas, walk):
    def share(steps):
        unmark(steps)
        steps[2]["actors"] = ["Sekdin", "Kadin"]
        steps[2]["signs"] = True

    case = walk_to_end(register(variant(share), petugas), walk)

    assert list(AuditEntry.objects.filter(case=case, action="sign").values_list("desk", flat=True)) == ["kadis"]


def test_a_reject_branch_rejects_whatever_its_label(variant, petugas, walk):
    def relabel(steps):
        steps[1]["branches"][1] = {"label": "Tidak", "action": "reject"}

    case = register(variant(relabel), petugas)
    case = walk(walk(case), branch="Tidak", note="tidak memenuhi syarat")

    assert case.state == Case.REJECTED


def test_an_applicant_branch_labelled_tidak_layak_returns_for_papers(variant, petugas, walk):
    def relabel(steps):
        steps[1]["branches"][1] = {"label": "Tidak layak", "action": "applicant"}

    case = register(variant(relabel), petugas)
    document = case.documents.filter(required=True).first()
    document.received = False
    document.save()

    case = walk(walk(case), branch="Tidak layak")

    assert case.state == Case.RETURNED


def test_a_case_with_a_letter_and_no_signing_step_is_refused_at_registration(variant, petugas, lumajang):
    sop = variant(unmark)
    LetterTemplateFactory(agency=lumajang, sop_slug=sop.slug)  # saved without the admin's clean()

    with pytest.raises(workflow.TransitionRefused, match="tidak menandai langkah yang menandatanganinya"):
        register(sop, petugas)


def test_a_letter_template_for_an_sop_without_signing_step_is_refused(variant, lumajang):
    sop = variant(unmark)
    template = LetterTemplate(
        agency=lumajang,
        sop_slug=sop.slug,
        kind=LetterTemplate.REKOMENDASI,
        title="Uji",
        classification_code="400.9",
        body="Isi",
    )

    with pytest.raises(ValidationError, match="tidak memiliki langkah yang menandatangani"):
        template.full_clean()


def test_a_letter_template_for_an_sop_with_a_signing_step_is_accepted(variant, lumajang):
    sop = variant(lambda steps: None)
    template = LetterTemplate(
        agency=lumajang,
        sop_slug=sop.slug,
        kind=LetterTemplate.REKOMENDASI,
        title="Uji",
        classification_code="400.9",
        body="Isi",
    )

    template.full_clean()


def test_the_peksos_refusing_an_adoption_request_rejects_it(petugas, walk):
    """Pengangkatan anak step 3 is decided at the peksos desk: 'Tidak memenuhi syarat' refuses the case
    (only the front desk, which keeps the checklist, can send papers back)."""
    case = register(SOP.objects.get(slug="lumajang-pengangkatan-anak", is_current=True), petugas)
    case = walk(walk(case))
    assert case.current_step.no == 3 and case.current_step.desk == "peksos"

    case = walk(case, branch="Tidak memenuhi syarat", note="Calon orang tua angkat belum memenuhi syarat usia")

    assert case.state == Case.REJECTED


def test_every_applicant_exit_of_the_catalog_is_decided_at_the_front_desk(catalog):
    exits = Branch.objects.filter(action=BranchAction.APPLICANT).select_related("step").prefetch_related("step__actors")
    assert exits.exists()
    for branch in exits:
        assert workflow.desks_of(branch.step)[-1] == "petugas", branch.step
