from django.db.models import Count, Prefetch, Q, QuerySet

from agencies.models import Agency
from sop_catalog.flowchart import total_time
from sop_catalog.models import SOP, Flow, Step


def public_sops() -> QuerySet[SOP]:
    """What the public may see: per slug, the version in force — never a draft (a new version in
    preparation leaves the published one current until it is published) and never a retired SOP."""
    return SOP.objects.filter(is_current=True, status=SOP.ACTIVE)


def catalog_sops(*, query: str = "", agency_slug: str = "") -> QuerySet[SOP]:
    """The SOPs that the public sees (public_sops), with their step counts."""
    sops = (
        public_sops()
        .select_related("agency", "org_unit")
        .annotate(step_count=Count("flows__steps"))
        .order_by("agency__name", "number", "name")
    )
    if agency_slug:
        sops = sops.filter(agency__slug=agency_slug)
    for word in query.split():
        sops = sops.filter(Q(name__icontains=word) | Q(number__icontains=word) | Q(unit__icontains=word))
    return sops


def flows_without_signing_step(*, agency_id: int, slug: str) -> QuerySet[Flow]:
    """The current version's flows (with steps) of an SOP where no step is marked `signs`."""
    return (
        Flow.objects.filter(sop__agency_id=agency_id, sop__slug=slug, sop__is_current=True, steps__isnull=False)
        .exclude(steps__signs=True)
        .distinct()
        .order_by("order")
    )


def catalog_agencies() -> QuerySet[Agency]:
    return Agency.objects.filter(sops__in=public_sops()).distinct().order_by("name")


def sop_with_everything() -> QuerySet[SOP]:
    """SOPs with every list, role, flow, step, actor and branch prefetched (pages, PDF, export)."""
    return SOP.objects.select_related("agency", "org_unit").prefetch_related(
        "legal_bases",
        "qualifications",
        "related_sops",
        "equipment",
        "documents",
        "roles",
        Prefetch(
            "flows",
            queryset=Flow.objects.prefetch_related(
                Prefetch("steps", queryset=Step.objects.prefetch_related("actors", "branches").order_by("no"))
            ),
        ),
    )


def sop_for_display(*, slug: str, version: int | None = None, light: bool = False) -> SOP:
    """One public SOP with everything its paper form shows: the one in force unless `version`.

    A draft is never shown; an older version that was in force (or is retired) is, by its number.
    `light`: only the row's few fields that name it and key its cached form and PDF (one query).
    """
    sops = SOP.objects.only(*LIGHT_FIELDS) if light else sop_with_everything()
    if version is None:
        return sops.filter(pk__in=public_sops().values("pk")).get(slug=slug)
    return sops.exclude(status=SOP.DRAFT).get(slug=slug, version=version)


LIGHT_FIELDS = ("pk", "slug", "version", "name", "is_current", "status", "updated_at", "agency_id")


def public_versions(slug: str) -> QuerySet[SOP]:
    """Every version of `slug` the public may read (published once: in force, earlier or retired)."""
    return SOP.objects.filter(slug=slug).exclude(status=SOP.DRAFT).order_by("version")


def active_sops_for(agency: Agency) -> QuerySet[SOP]:
    """The SOPs a front desk can open a case on: current, active, of its agency."""
    return SOP.objects.filter(agency=agency, is_current=True, status=SOP.ACTIVE).order_by("number", "name")


def total_time_of(sop: SOP, *, flow: Flow | None = None) -> str:
    """The sum of the time standards of the flow's steps (all the SOP's steps without one), as text."""
    if flow is not None:
        return total_time(Step.objects.filter(flow=flow))
    return total_time(Step.objects.filter(flow__sop=sop))


def related_links(sop: SOP) -> dict[str, SOP]:
    """Map related-SOP slugs to their current versions' names (only those in the catalog)."""
    slugs = [item.target_slug for item in sop.related_sops.all() if item.target_slug]
    return {s.slug: s for s in SOP.objects.filter(slug__in=slugs, is_current=True)}
