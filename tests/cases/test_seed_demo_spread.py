"""seed_demo spreads the cases of an agency over the Kasi and Kabid of the bidang its SOPs belong to (#14)."""

from collections import defaultdict

import pytest

from cases.models import Case, CaseStep
from sop_catalog.models import SOP


def bidang_of_sops():
    """{agency slug: the bidang the agency's active SOPs with steps belong to}."""
    found = defaultdict(set)
    sops = SOP.objects.filter(is_current=True, status=SOP.ACTIVE, org_unit__isnull=False, flows__steps__isnull=False)
    for sop in sops.select_related("agency", "org_unit__parent").distinct():
        found[sop.agency.slug].add(sop.org_unit.bidang.pk)
    return found


def seeded_agencies():
    """The agencies the demo world's seed_demo runs gave cases (DEMO_WORLD, tests/conftest.py)."""
    return set(Case.objects.values_list("agency__slug", flat=True))


def workers(desk):
    """{agency slug: the users who completed a step at `desk`}."""
    found = defaultdict(set)
    done = CaseStep.objects.filter(desk=desk, status=CaseStep.DONE).values_list("case__agency__slug", "completed_by")
    for slug, user in done:
        found[slug].add(user)
    return found


@pytest.mark.long(4)  # the first test of the demo world on a worker seeds it (tests/conftest.py)
def test_seed_demo_reaches_two_kasi_and_two_kabid_in_every_agency_with_sops_of_two_bidang(demo_world):
    several = [slug for slug, bidang in bidang_of_sops().items() if len(bidang) >= 2]
    assert "lumajang" in several  # the SPM and the rehabilitation SOPs: at least one such agency
    # Only these have something to spread (an agency whose SOPs are all of one bidang has not); the
    # demo world seeds each of them.
    assert set(several) <= seeded_agencies(), "add the agency to DEMO_WORLD (tests/conftest.py)"

    kasi, kabid = workers("kasi"), workers("kabid")
    for slug in several:
        assert len(kasi[slug]) >= 2, (slug, kasi[slug])
        assert len(kabid[slug]) >= 2, (slug, kabid[slug])
