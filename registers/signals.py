"""The register checks of an SOP's steps follow the SOP when it is copied (new version, other agency)."""

from django.dispatch import receiver

from registers.models import Check
from sop_catalog.models import Step
from sop_catalog.signals import sop_copied


def _key(step):
    return (step.flow.order, step.no, " ".join(step.activity.split()))


@receiver(sop_copied, dispatch_uid="registers-copy-checks")
def copy_checks(sender, *, sop, source, **kwargs):
    """Each check of the source's steps onto the copy's step with the same flow, number and activity.

    A step whose text changed in the copy keeps no check: what it consults is for the author (or
    fixtures/register_checks.json through load_registers) to say again.
    """
    checks = list(Check.objects.filter(step__flow__sop=source).select_related("step__flow"))
    if not checks:
        return
    targets = {_key(step): step for step in Step.objects.filter(flow__sop=sop).select_related("flow")}
    Check.objects.bulk_create(
        [
            Check(step=targets[_key(check.step)], order=check.order, register_code=check.register_code,
                  expectation=check.expectation)
            for check in checks
            if _key(check.step) in targets
        ]
    )  # fmt: skip
