"""agencies 0009–0011: a database made by the previous schema (unit as text, Kasi and Kabid by desk group)
moves onto units and positions with nothing lost."""

import pytest

from tests.migrating import migrated_rows

# The test database is set up only for tests that ask for it (django_db): without it, a run of this
# module alone would migrate and flush the development database. old_schema: the tests read a
# database at an older schema, where the session data is not restored.
pytestmark = [pytest.mark.django_db, pytest.mark.old_schema]

BEFORE = [
    ("agencies", "0008_user_cache_version"),
    ("sop_catalog", "0007_naskah_dinas"),
    ("cases", "0015_outgoing_mail_task_ledger"),
]
AFTER = [("agencies", "0011_remove_position_unit_name"), ("sop_catalog", "0008_org_units"), ("cases", "0016_org_units")]


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
    apps.get_model("sop_catalog", "SOP").objects.create(agency=agency, slug="uji-migrasi-sop", name="SOP Uji")


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
    }


def drop_rows(apps):
    apps.get_model("sop_catalog", "SOP").objects.filter(slug="uji-migrasi-sop").delete()
    apps.get_model("agencies", "User").objects.filter(username__startswith="m-").delete()
    apps.get_model("agencies", "Position").objects.filter(agency__slug="uji-migrasi").delete()
    apps.get_model("agencies", "Unit").objects.filter(agency__slug="uji-migrasi").delete()
    apps.get_model("agencies", "Agency").objects.filter(slug="uji-migrasi").delete()


@pytest.fixture(scope="module")
def migrated(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        yield from migrated_rows(BEFORE, AFTER, make_rows, read_rows, drop_rows)


def test_each_unit_name_becomes_a_unit_its_positions_point_to(migrated):
    assert migrated["units"] == [("Bidang Rehabilitasi Sosial", "bidang"), ("Sekretariat", "sekretariat")]
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
