"""Mutu-baku compliance figures (monitoring dan evaluasi SOP) and the IKM of the survey.

Every figure is computed from completed case steps whose completion falls in the period.
A step is *within standard* when it was completed by its due time; steps without a time
standard have no due time and are left out of that share.
"""

import datetime
import math
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from agencies import org
from agencies.desks import DESK_LABELS
from cases.models import Case, CaseStep, SurveyResponse


def percentile(values, p):
    """The p-th percentile with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * p / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values):
    return percentile(values, 50)


@dataclass
class Figures:
    """Counts and times (minutes) of a group of completed steps."""

    label: str
    standard: str = ""
    minutes: list = field(default_factory=list)
    within: int = 0
    with_standard: int = 0
    started: int = 0
    finished: int = 0

    def add(self, step):
        self.minutes.append((step.completed_at - step.started_at).total_seconds() / 60)
        if step.due_at is not None:
            self.with_standard += 1
            self.within += step.completed_at <= step.due_at

    @property
    def count(self):
        return len(self.minutes)

    @property
    def median(self):
        return median(self.minutes)

    @property
    def p90(self):
        return percentile(self.minutes, 90)

    @property
    def share_within(self):
        return self.within / self.with_standard if self.with_standard else None


def period_bounds(start, end):
    """[start 00:00, end+1 00:00) in the current time zone."""
    zone = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(start, datetime.time.min, tzinfo=zone),
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone),
    )


def completed_steps(*, agency, start, end, sop_slug="", units=None):
    since, until = period_bounds(start, end)
    steps = CaseStep.objects.filter(
        case__agency=agency,
        status=CaseStep.DONE,
        started_at__isnull=False,
        completed_at__gte=since,
        completed_at__lt=until,
    ).select_related("case__sop", "sop_step")
    if sop_slug:
        steps = steps.filter(case__sop__slug=sop_slug)
    return steps.filter(org.scope_q(units, "case__sop__org_unit_id"))


def compliance(*, agency, start, end, sop_slug="", units=None):
    """Per SOP, per step and per desk figures, and the slowest steps, for the period; `units` (a scope
    of agencies.org: None for the whole agency) limits them to the cases of those units."""
    per_sop, per_step, per_desk = {}, {}, {}
    for step in completed_steps(agency=agency, start=start, end=end, sop_slug=sop_slug, units=units):
        sop = step.case.sop
        per_sop.setdefault(sop.slug, Figures(sop.name)).add(step)
        key = (sop.slug, step.no, step.part)
        per_step.setdefault(
            key,
            Figures(f"{sop.name} — {step.label}. {step.sop_step.activity[:90]}", standard=step.sop_step.time_text),
        ).add(step)
        per_desk.setdefault(step.desk, Figures(DESK_LABELS.get(step.desk, step.desk))).add(step)
    since, until = period_bounds(start, end)
    cases = Case.objects.filter(org.scope_q(units), agency=agency)
    if sop_slug:
        cases = cases.filter(sop__slug=sop_slug)
    counts = {
        row["sop__slug"]: row
        for row in cases.values("sop__slug").annotate(
            started=Count("id", filter=Q(registered_at__gte=since, registered_at__lt=until)),
            finished=Count("id", filter=Q(state=Case.COMPLETED, closed_at__gte=since, closed_at__lt=until)),
        )
    }
    for slug, figures in per_sop.items():
        figures.started = counts.get(slug, {}).get("started", 0)
        figures.finished = counts.get(slug, {}).get("finished", 0)
    steps = sorted(per_step.values(), key=lambda f: (-f.count, f.label))
    slowest = sorted(
        (f for f in per_step.values() if f.with_standard),
        key=lambda f: (f.share_within if f.share_within is not None else 1, -(f.p90 or 0)),
    )[:10]
    return {
        "sops": sorted(per_sop.values(), key=lambda f: f.label),
        "steps": steps,
        "desks": sorted(per_desk.values(), key=lambda f: f.label),
        "slowest": slowest,
        "totals": {
            "started": sum(row["started"] for row in counts.values()),
            "finished": sum(row["finished"] for row in counts.values()),
            "steps": sum(f.count for f in per_sop.values()),
        },
    }


# --- Survei Kepuasan Masyarakat (PermenPAN-RB 14/2017) ----------------------------------------

# IKM = sum over the nine elements of (mean score × 1/9), converted × 25 to 25–100.
MUTU = [(88.31, "A", "Sangat Baik"), (76.61, "B", "Baik"), (65.00, "C", "Kurang Baik"), (25.00, "D", "Tidak Baik")]


def ikm(responses):
    """{'responses', 'elements' (mean per element), 'index' (25–100), 'grade', 'label'} or None."""
    responses = list(responses)
    if not responses:
        return None
    means = [sum(getattr(r, f"u{i}") for r in responses) / len(responses) for i in range(1, 10)]
    index = sum(mean / 9 for mean in means) * 25
    grade, label = next(((g, lbl) for floor, g, lbl in MUTU if index >= floor), ("D", "Tidak Baik"))
    return {"responses": len(responses), "elements": means, "index": index, "grade": grade, "label": label}


def ikm_per_service(*, agency, start, end, units=None):
    since, until = period_bounds(start, end)
    responses = SurveyResponse.objects.filter(
        org.scope_q(units, "case__sop__org_unit_id"), case__agency=agency, created_at__gte=since, created_at__lt=until
    ).select_related("case__sop")
    by_sop = {}
    for response in responses:
        by_sop.setdefault(response.case.sop.name, []).append(response)
    return {
        "overall": ikm([r for group in by_sop.values() for r in group]),
        "services": sorted(((name, ikm(group)) for name, group in by_sop.items()), key=lambda item: item[0]),
    }
