"""agencies 0009–0012: a database made by the previous schema (unit as text, Kasi and Kabid by desk group)
moves onto units and positions with nothing lost; a subbagian ends up under its agency's Sekretariat."""

import pytest

from tests import migrating

# The test database is set up only for tests that ask for it (django_db): without it, a run of this
# module alone would walk the migrations on the development database.
pytestmark = [pytest.mark.django_db]

BEFORE = [
    ("agencies", "0008_user_cache_version"),
    ("sop_catalog", "0007_naskah_dinas"),
    ("cases", "0015_outgoing_mail_task_ledger"),
]
AFTER = [
    ("agencies", "0012_subbagian_under_sekretariat"),
    ("sop_catalog", "0008_org_units"),
    ("cases", "0016_org_units"),
]


def make_rows(apps):
    Agency, Position, Official, User = (
        apps.get_model("agencies", n) for n in ("Agency", "Position", "Official", "User")
    )
    Group = apps.get_model("auth", "Group")
    agency = Agency.objects.create(name="Dinas Uji Migrasi", slug="uji-migrasi")
    groups = {desk: Group.objects.get_or_create(name=desk)[0] for desk in ("petugas", "kasi", "kabid")}
    kabid_position = Position.objects.create(
        agency=agency, title="Kepala Bidang Rehabilitasi Sosial", desk="kabid", unit="Bidang Rehabilitasi Sosial"
    )
    Official.objects.create(position=kabid_position, name="Drs. KABID LAMA", nip="19700101 199001 1 001")
    Position.objects.create(agency=agency, title="Sekretaris Dinas Sosial", desk="sekdin", unit="Sekretariat")
    for username, desk in (("m-petugas", "petugas"), ("m-kasi", "kasi"), ("m-kabid", "kabid")):
        user = User.objects.create(username=username, agency=agency, first_name="Uji", last_name=desk.title())
        user.groups.add(groups[desk])
    Position.objects.create(
        agency=agency, title="Kepala Subbagian Umum", desk="petugas", unit="Subbagian Umum dan Kepegawaian"
    )
    # An agency whose only text unit is a subbagian: no Sekretariat to put it under.
    other = Agency.objects.create(name="Dinas Uji Migrasi Dua", slug="uji-migrasi-2")
    Position.objects.create(agency=other, title="Kepala Subbag Keuangan", desk="petugas", unit="Subbag Keuangan")
    sop = apps.get_model("sop_catalog", "SOP").objects.create(agency=agency, slug="uji-migrasi-sop", name="SOP Uji")
    make_case(apps, agency, sop)


def make_case(apps, agency, sop):
    """A case at the Kabid under the old schema: three steps (the Kasi's done), a disposisi to the Kabid."""
    Person, Case, CaseStep, Disposition = (
        apps.get_model("cases", n) for n in ("Person", "Case", "CaseStep", "Disposition")
    )
    User = apps.get_model("agencies", "User")
    flow = apps.get_model("sop_catalog", "Flow").objects.create(sop=sop, order=1)
    Step = apps.get_model("sop_catalog", "Step")
    person = Person.objects.create(agency=agency, name="WARGA UJI", name_folded="warga uji", without_papers=True)
    kasi, kabid = User.objects.get(username="m-kasi"), User.objects.get(username="m-kabid")
    case = Case.objects.create(
        agency=agency, sop=sop, flow=flow, applicant=person, beneficiary=person, purpose="uji migrasi",
        created_by=User.objects.get(username="m-petugas"), number="UJI/2026/000001", state="at_kabid",
    )  # fmt: skip
    for position, (desk, status) in enumerate((("petugas", "done"), ("kasi", "done"), ("kabid", "current"))):
        sop_step = Step.objects.create(flow=flow, no=position + 1, activity=f"Langkah {desk}")
        step = CaseStep.objects.create(
            case=case, sop_step=sop_step, position=position, no=position + 1, desk=desk, status=status,
            completed_by=kasi if desk == "kasi" else None,
        )  # fmt: skip
    case.current_step = step
    case.save(update_fields=["current_step"])
    Disposition.objects.create(
        case=case, by=kasi, from_desk="kasi", to_desk="kabid", to_user=kabid, instructions=["Untuk diproses"]
    )


def read_rows(apps):
    Unit, Position, Official, User = (apps.get_model("agencies", n) for n in ("Unit", "Position", "Official", "User"))
    holdings = {
        o.user.username: (o.position.title, o.position.desk, o.acting, o.start, o.end)
        for o in Official.objects.filter(position__agency__slug="uji-migrasi").exclude(user=None)
    }
    return {
        "units": sorted(Unit.objects.filter(agency__slug="uji-migrasi").values_list("name", "kind")),
        "position_units": dict(Position.objects.filter(agency__slug="uji-migrasi").values_list("title", "unit__name")),
        "officials": sorted(
            Official.objects.filter(position__agency__slug="uji-migrasi").values_list("name", flat=True)
        ),
        "holdings": holdings,
        "groups": {
            u.username: sorted(u.groups.values_list("name", flat=True))
            for u in User.objects.filter(username__startswith="m-")
        },
        "sop_unit": apps.get_model("sop_catalog", "SOP").objects.get(slug="uji-migrasi-sop").org_unit_id,
        "unit_parents": {
            (u.agency.slug, u.name): (
                u.kind,
                (u.parent.agency.slug, u.parent.name, u.parent.kind) if u.parent else None,
            )
            for u in Unit.objects.filter(agency__slug__startswith="uji-migrasi").select_related(
                "agency", "parent__agency"
            )
        },
        "case": read_case(apps),
    }


def read_case(apps):
    case = apps.get_model("cases", "Case").objects.get(number="UJI/2026/000001")
    return {
        "state": case.state,
        "current": (case.current_step.position, case.current_step.desk, case.current_step.status),
        "steps": list(
            case.steps.order_by("position").values_list("position", "desk", "status", "completed_by__username")
        ),
        "dispositions": list(
            case.dispositions.values_list("from_desk", "to_desk", "to_user__username", "to_position", "instructions")
        ),
    }


STOP = migrating.stop(__name__, before=BEFORE, after=AFTER, make=make_rows, read=read_rows)


@pytest.fixture(scope="module")
def migrated(migration_walk):
    return migration_walk[STOP]["read"]


def test_each_unit_name_becomes_a_unit_its_positions_point_to(migrated):
    assert migrated["units"] == [
        ("Bidang Rehabilitasi Sosial", "bidang"),
        ("Sekretariat", "sekretariat"),
        ("Subbagian Umum dan Kepegawaian", "subbagian"),
    ]
    assert migrated["position_units"]["Kepala Bidang Rehabilitasi Sosial"] == "Bidang Rehabilitasi Sosial"
    assert migrated["position_units"]["Sekretaris Dinas Sosial"] == "Sekretariat"


def test_users_of_jabatan_desks_hold_a_position_and_leave_the_group(migrated):
    assert migrated["holdings"]["m-kabid"] == ("Kepala Bidang Rehabilitasi Sosial", "kabid", "", None, None)
    assert migrated["holdings"]["m-kasi"] == ("Kepala Seksi (hasil migrasi)", "kasi", "", None, None)
    assert migrated["groups"]["m-kasi"] == [] and migrated["groups"]["m-kabid"] == []


def test_staff_desks_stay_groups_and_nothing_is_lost(migrated):
    assert migrated["groups"]["m-petugas"] == ["petugas"] and "m-petugas" not in migrated["holdings"]
    # The Kabid's one official without an account became the account's: no second definitive holder.
    assert migrated["officials"].count("Drs. KABID LAMA") == 1 and "Uji Kabid" not in migrated["officials"]
    assert migrated["sop_unit"] is None  # an SOP gets its unit from load_sops or the admin


def test_a_subbagian_is_put_under_its_agencys_sekretariat(migrated):
    assert migrated["unit_parents"][("uji-migrasi", "Subbagian Umum dan Kepegawaian")] == (
        "subbagian",
        ("uji-migrasi", "Sekretariat", "sekretariat"),
    )


def test_a_subbagian_of_an_agency_without_a_sekretariat_gets_one(migrated):
    units = migrated["unit_parents"]
    assert units[("uji-migrasi-2", "Sekretariat")] == ("sekretariat", None)  # made by 0012
    assert units[("uji-migrasi-2", "Subbag Keuangan")] == ("subbagian", ("uji-migrasi-2", "Sekretariat", "sekretariat"))


def test_a_case_made_under_the_previous_schema_comes_through_unchanged(migrated):
    case = migrated["case"]
    assert case["state"] == "at_kabid"
    assert case["current"] == (2, "kabid", "current")
    assert case["steps"] == [(0, "petugas", "done", None), (1, "kasi", "done", "m-kasi"), (2, "kabid", "current", None)]
    assert case["dispositions"] == [("kasi", "kabid", "m-kabid", None, ["Untuk diproses"])]
