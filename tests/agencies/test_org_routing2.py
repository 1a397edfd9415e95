"""Organisation (issue #14), the audit's gaps: a front desk bound to one unit opens only that unit's
SOPs; staff positions (Pekerja Sosial, Pengelola) and an UPT in the fixture; the SOP's page shows its
unit."""

import json
import re

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from agencies import org
from agencies.models import Official, Position, Unit, User
from cases import intake, selectors, services
from cases.models import Case
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


# --- a front desk bound to one unit --------------------------------------------------------------


def test_the_linjamsos_pengelola_opens_its_bidangs_sop_and_works_it_at_the_front_desk(catalog, demo_users):
    pengelola = demo_users["lumajang-petugas-linjamsos"]

    case = services.register_case(case=open_draft(pengelola, current("lumajang-spm")), user=pengelola)

    assert case.sop.org_unit.bidang.name == LINJAMSOS
    assert case.is_front_desk(pengelola)
    assert case.current_step.desk == "petugas" and case.holds(pengelola)
    assert list(selectors.inbox(user=fresh(pengelola))) == [case]


def test_the_linjamsos_pengelola_is_refused_a_rehabilitation_sop(catalog, demo_users):
    pengelola = demo_users["lumajang-petugas-linjamsos"]
    before = Case.objects.count()

    with pytest.raises(PermissionDenied, match="meja depan unit kerja lain"):
        open_draft(pengelola, current("lumajang-lansia-terlantar-griya-lansia"))

    assert Case.objects.count() == before


def test_the_new_case_page_offers_a_bidang_front_desk_only_its_units_sops(catalog, demo_users, client):
    pengelola = demo_users["lumajang-petugas-linjamsos"]
    client.force_login(pengelola)

    page = client.get("/permohonan/baru/").content.decode()
    offered = set(SOP.objects.filter(pk__in=map(int, re.findall(r'<option value="(\d+)"', page))))

    linjamsos = {sop for sop in offered if sop.org_unit is not None and sop.org_unit.bidang.name == LINJAMSOS}
    assert current("lumajang-spm") in offered and current("lumajang-santunan-kematian") in offered
    assert offered == linjamsos | {sop for sop in offered if sop.org_unit is None}
    assert current("lumajang-lansia-terlantar-griya-lansia") not in offered


def test_the_new_case_page_refuses_a_posted_sop_of_another_unit(catalog, demo_users, client):
    pengelola = demo_users["lumajang-petugas-linjamsos"]
    person = PersonFactory()
    client.force_login(pengelola)
    rehab = current("lumajang-lansia-terlantar-griya-lansia")

    form = {"sop": rehab.pk, "channel": "datang", "purpose": "uji", "sifat": "biasa"}
    response = client.post(f"/permohonan/baru/?pemohon={person.pk}", form)

    assert response.status_code == 200
    assert "Masukkan pilihan yang valid" in response.content.decode()
    assert not Case.objects.filter(sop=rehab, applicant=person).exists()


def test_the_sekretariat_front_desk_still_opens_every_sop(catalog, demo_users, client):
    petugas = demo_users["lumajang-petugas"]
    client.force_login(petugas)

    page = client.get("/permohonan/baru/").content.decode()
    offered = set(map(int, re.findall(r'<option value="(\d+)"', page)))
    active = set(
        SOP.objects.filter(agency=petugas.agency, is_current=True, status=SOP.ACTIVE).values_list("pk", flat=True)
    )

    assert offered == active and len(active) >= 19
    for slug in ("lumajang-spm", "lumajang-lansia-terlantar-griya-lansia"):
        assert open_draft(petugas, current(slug)).is_front_desk(petugas)


def test_a_recap_of_another_units_sop_is_refused_to_a_bidang_front_desk(catalog, demo_users):
    pengelola = demo_users["lumajang-petugas-linjamsos"]
    rehab = current("lumajang-lansia-terlantar-griya-lansia")
    token = intake.sign(user=pengelola, sop=rehab, district="Sukodono", rows=[])

    with pytest.raises(intake.RecapRefused, match="meja depan unit kerja lain"):
        intake.start_job(user=pengelola, token=token)


def test_the_recap_page_offers_a_bidang_front_desk_only_its_units_sops(catalog, demo_users, client):
    client.force_login(demo_users["lumajang-petugas-linjamsos"])

    page = client.get("/permohonan/rekap/").content.decode()
    offered = set(SOP.objects.filter(pk__in=map(int, re.findall(r'<option value="(\d+)"', page))))

    assert current("lumajang-santunan-kematian") in offered
    assert current("lumajang-lansia-terlantar-griya-lansia") not in offered


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
