"""The workflow marks of the catalog, checked by the model (admin) as by the import."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from sop_catalog.models import Branch, BranchAction, Step
from tests.factories import BranchFactory, StepFactory


def step_of(sop, no):
    return Step.objects.get(flow__sop=sop, no=no)


def test_a_front_desk_step_can_not_sign(spm):
    step = step_of(spm, 1)
    step.signs = True

    with pytest.raises(ValidationError, match="Hanya langkah di meja Kepala Dinas atau Sekretaris Dinas"):
        step.full_clean()


def test_the_sekdin_part_of_a_paraf_hierarki_may_sign(spm):
    Step.objects.filter(flow__sop=spm).update(signs=False)
    step = step_of(spm, 3)
    step.signs = True

    step.full_clean()


def test_a_second_signing_step_in_a_flow_is_refused(spm):
    step = step_of(spm, 3)
    step.signs = True

    with pytest.raises(ValidationError, match="Hanya satu langkah per alur"):
        step.full_clean()


def test_the_admin_form_checks_the_actors_it_is_about_to_save(spm):
    step = step_of(spm, 4)
    step.pending_actor_desks = ["petugas"]

    with pytest.raises(ValidationError, match="Hanya langkah di meja Kepala Dinas"):
        step.full_clean()


def test_a_jump_needs_its_step_number(spm):
    branch = Branch(step=step_of(spm, 2), label="Ulang", action=BranchAction.STEP)

    with pytest.raises(ValidationError, match="Isi nomor langkah tujuan"):
        branch.full_clean()


def test_a_step_number_on_a_branch_that_does_not_jump_is_refused(spm):
    branch = Branch(step=step_of(spm, 2), label="Ya", action=BranchAction.NEXT, step_no=3)

    with pytest.raises(ValidationError, match="Nomor langkah hanya diisi"):
        branch.full_clean()


def test_the_database_refuses_a_jump_without_a_step_number(spm):
    with pytest.raises(IntegrityError), transaction.atomic():
        Branch.objects.create(step=step_of(spm, 2), label="Ulang", action=BranchAction.STEP)


def test_a_return_to_the_applicant_from_a_superior_desk_is_refused(spm):
    branch = Branch(step=step_of(spm, 4), label="Tidak", action=BranchAction.APPLICANT)

    with pytest.raises(ValidationError, match="Kembali ke pemohon hanya dari langkah petugas"):
        branch.full_clean()


def test_a_reject_from_a_superior_desk_is_accepted(spm):
    Branch(step=step_of(spm, 4), label="Tidak", action=BranchAction.REJECT).full_clean()


# Built with the factories: a flow of its own, so the rule is seen apart from any fixture.


def test_a_flow_may_have_one_signing_step_at_the_kadis_desk(db):
    flow = StepFactory(desk="petugas").flow
    StepFactory(flow=flow, desk="kasi")
    signing = StepFactory.build(flow=flow, desk="kadis", signs=True)

    signing.full_clean()
    signing.save()

    assert list(flow.steps.order_by("no").values_list("no", "desk", "signs")) == [
        (1, "petugas", False),
        (2, "kasi", False),
        (3, "kadis", True),
    ]


def test_a_second_signing_step_of_a_built_flow_is_refused(db):
    first = StepFactory(desk="kadis", signs=True)
    second = StepFactory.build(flow=first.flow, desk="sekdin", signs=True)

    with pytest.raises(ValidationError, match="Hanya satu langkah per alur"):
        second.full_clean()


def test_a_branch_jumping_to_a_step_of_its_flow_is_valid(db):
    step = StepFactory()
    StepFactory(flow=step.flow)

    BranchFactory.build(step=step, label="Ulang", action=BranchAction.STEP, step_no=2).full_clean()
