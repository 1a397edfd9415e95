"""Organisation (issue #14), the audit's gaps: staff positions (Pekerja Sosial, Pengelola) and an UPT
in the fixture; the SOP's page shows its unit."""

import json
import re

import pytest
from django.conf import settings
from django.utils import timezone

from agencies import org
from agencies.models import Official, Position, Unit, User
from cases import services
from sop_catalog.models import SOP
from tests.factories import PersonFactory

TODAY = timezone.localdate()
DATA = settings.BASE_DIR / "tests" / "data"
LINJAMSOS = "Bidang Perlindungan dan Jaminan Sosial"
REHSOS = "Bidang Pelayanan dan Rehabilitasi Sosial"


def fixture_agencies():
    return {row["slug"]: row for row in json.loads((settings.BASE_DIR / "fixtures" / "agencies.json").read_text())}


def fresh(user):
    """The user as a new request sees them (desks read again)."""
    return User.objects.get(pk=user.pk)


def open_draft(user, sop):
    person = PersonFactory(agency=sop.agency)
    return services.open_case(
        user=user, sop=sop, applicant=person, beneficiary=person, channel="datang", purpose="Keperluan uji"
    )


def current(slug):
    return SOP.objects.get(slug=slug, is_current=True)


# --- staff positions and the UPT ---------------------------------------------------------------


def test_every_agency_has_a_pekerja_sosial_position_in_a_bidang_held_by_its_peksos_login():
    agencies = fixture_agencies()
    for slug, agency in agencies.items():
        units = {unit["name"]: unit for unit in agency["units"]}
        peksos = [p for p in agency["positions"] if p["desk"] == "peksos"]
        assert [p["title"] for p in peksos] == ["Pekerja Sosial"], slug
        assert units[peksos[0]["unit"]]["kind"] == "bidang" and not units[peksos[0]["unit"]].get("demo"), slug
        assert [o.get("demo_user") for o in peksos[0]["officials"]] == [f"{slug}-peksos-rehsos"], slug
    assert len(agencies) == 3


def test_every_staff_position_names_the_seed_line_it_comes_from(seed_dir):
    staff = [
        (slug, p)
        for slug, a in fixture_agencies().items()
        for p in a["positions"]
        if p["desk"] in ("peksos", "petugas")
    ]
    sourced = [(slug, p) for slug, p in staff if p["title"] != "Petugas Pelayanan"]
    assert len(sourced) == 4  # three Pekerja Sosial, the Pengelola of Lumajang
    for slug, position in sourced:
        name, cited = position["source"].split(": ", 1)
        seed = " ".join((seed_dir / name).read_text(encoding="utf-8").split())
        quotes = re.findall(r"“([^”]+)”", cited)
        assert quotes, (slug, position["title"])
        assert [q for q in quotes if " ".join(q.split()) not in seed] == [], (slug, position["title"])


def test_a_pekerja_sosial_serves_its_bidang_and_a_stand_in_by_group_the_whole_agency(catalog, demo_users):
    peksos, stand_in = demo_users["lumajang-peksos-rehsos"], demo_users["lumajang-peksos"]
    units = {unit.name: unit.pk for unit in Unit.objects.filter(agency=peksos.agency)}
    rehab = current("lumajang-operasional-griya-lansia")

    assert Position.objects.get(officials__user=peksos).unit.name == REHSOS
    assert org.serves(peksos, "peksos", units[REHSOS])
    assert org.serves(peksos, "peksos", rehab.org_unit_id)  # a seksi of the bidang
    assert not org.serves(peksos, "peksos", units[LINJAMSOS])
    assert not Official.objects.filter(user=stand_in).exists()
    assert fresh(stand_in).desk_scopes == {"peksos": None}


def test_lumajang_has_a_demo_upt_whose_positions_would_serve_only_it(catalog, lumajang):
    upt = Unit.objects.get(agency=lumajang, kind=Unit.UPT)

    assert upt.demo and str(upt).endswith("(contoh)")
    assert org.served_units(upt.pk, org.unit_tree(lumajang.pk)) == frozenset({upt.pk})
    assert not SOP.objects.filter(org_unit=upt).exists()


# --- the SOP's page shows its unit ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "shown"),
    [
        ("lumajang-spm", f"Unit pelaksana: {LINJAMSOS}"),
        (
            "lumajang-anak-terlantar-luar-panti",
            f"Unit pelaksana: Seksi Pelayanan dan Rehabilitasi Sosial Anak dan Lanjut Usia ({REHSOS})",
        ),
    ],
)
def test_the_public_sop_page_shows_the_unit_that_runs_it(catalog, client, slug, shown):
    page = client.get(f"/katalog/{slug}/").content.decode()

    found = re.search(r'data-testid="org-unit">([^<]*)<', page)
    assert found is not None and found.group(1) == shown
