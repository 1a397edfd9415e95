"""Every active SOP of the catalog walks from registration to its end, each step by its own desk."""

import pytest
from django.db import transaction

from cases import selectors, services, workflow
from cases.models import AuditEntry, Case, CaseStep, LetterTemplate
from sop_catalog.models import SOP, BranchAction
from tests.conftest import desk_user, give_all_documents
from tests.factories import PersonFactory

FORWARD_ACTIONS = (BranchAction.NEXT, BranchAction.END)


def pick_branch(step):
    """The exit that carries the request on (Ya, Layak, …), else a jump ahead, else the first."""
    branches = list(step.sop_step.branches.all())
    if not branches:
        return ""
    for branch in branches:
        if branch.action in FORWARD_ACTIONS:
            return branch.label
    ahead = [b for b in branches if b.action == BranchAction.STEP and b.step_no > step.no]
    return (ahead or branches)[0].label


def complete_as_the_page_does(case, demo_users):
    """The current step completed by its desk as the case page's button does (cases.views.case_complete):
    the case read once under its row lock with its steps and the current step's decisions, then
    complete_step on it. Returns the case as the completion left it (a closed case: as read, untouched)."""
    with transaction.atomic():
        case = selectors.case_for_action(pk=case.pk, agency_id=case.agency_id, lock=True)
        if case.state in Case.CLOSED_STATES:
            return case
        step = case.current_step
        return workflow.complete_step(
            case=case,
            locked=True,
            user=desk_user(demo_users, case),
            step_id=step.pk,
            branch=pick_branch(step),
            note="uji",
            disposition={"instructions": ["Untuk diproses"]},
        )


@pytest.mark.long(8)
def test_every_active_sop_walks_to_its_end(catalog, demo_users):
    sops = list(SOP.objects.filter(is_current=True, status=SOP.ACTIVE).select_related("agency"))
    assert len(sops) == 23
    walked = 0
    for sop in sops:
        for flow in sop.flows.order_by("order"):
            walked += 1
            petugas = demo_users[f"{sop.agency.slug}-petugas"]
            person = PersonFactory(agency=sop.agency, nik=None, without_papers=True, found_at="Jalan", description="-")
            case = services.open_case(
                user=petugas, sop=sop, applicant=person, beneficiary=person, channel="datang", purpose="uji"
            )
            services.choose_flow(case=case, user=petugas, flow=flow)
            give_all_documents(case, petugas)
            case = services.register_case(case=case, user=petugas)  # read again under its row lock
            for _ in range(100):
                if complete_as_the_page_does(case, demo_users).state in Case.CLOSED_STATES:
                    break
            case = Case.objects.get(pk=case.pk)
            assert case.state == Case.COMPLETED, (sop.slug, flow.order, case.state)
            letters = list(case.letters.values_list("status", flat=True))
            assert "draft" not in letters, sop.slug
            if LetterTemplate.objects.filter(sop_slug=sop.slug).exists():
                assert letters == ["issued"], sop.slug
                assert AuditEntry.objects.filter(case=case, action="sign", user__username__endswith="-kadis").exists()
            last = case.steps.filter(status=CaseStep.DONE).order_by("-completed_at", "-pk").first()
            ended_early = any(
                b.action == BranchAction.END and b.label == last.outcome for b in last.sop_step.branches.all()
            )
            left_open = case.steps.filter(status__in=[CaseStep.CURRENT, CaseStep.PENDING]).exists()
            assert left_open == ended_early, (sop.slug, flow.order)  # steps stay open only after an "end" exit
    assert walked >= len(sops) + 4  # Griya Lansia alone has five flows
