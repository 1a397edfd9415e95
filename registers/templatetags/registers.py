from django import template

from cases.views import _ip
from registers import selectors, services

register = template.Library()


@register.simple_tag(takes_context=True)
def padanan_for(context, case):
    """The registers' answer at the case's current step, and what was recorded; the rows shown are access-logged."""
    request = context["request"]
    step = case.current_step if case.state in case.OPEN_STATES else None
    if step is None or not getattr(case, "has_padanan", True):
        return {"now": None}
    found = selectors.padanan(case, step.sop_step)
    if found is not None:
        services.log_access(
            user=request.user,
            entries=[row for r in found["results"] for s in r["subjects"] for row in s["rows"]],
            via=f"permohonan {case}",
            ip=_ip(request),
        )
    return {
        "now": found,
        "step": step,
        "may_record": found is not None and case.holds(request.user),
        "recorded": selectors.step_matches(case, step),
    }
