import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from agencies.desks import DESKS
from agencies.models import Agency, Official, Position, User
from agencies.services import create_demo_users, load_agencies

AGENCIES_JSON = settings.BASE_DIR / "fixtures" / "agencies.json"


@pytest.mark.django_db
def test_it_loads_the_three_agencies_of_the_seeds():
    counts = load_agencies(path=AGENCIES_JSON)

    assert counts["agencies"] == 3
    assert set(Agency.objects.values_list("name", flat=True)) == {
        "Dinas Sosial Kota Palangka Raya",
        "Dinas Sosial Kabupaten Solok",
        "Dinas Sosial Kabupaten Lumajang",
    }


@pytest.mark.django_db
def test_loading_agencies_twice_changes_nothing():
    load_agencies(path=AGENCIES_JSON)
    load_agencies(path=AGENCIES_JSON)

    assert Agency.objects.count() == 3
    assert Position.objects.count() == 28
    assert Official.objects.count() == 28


@pytest.mark.django_db
def test_the_kepala_dinas_of_lumajang_signs_with_the_seed_nip(agencies):
    kadis = Position.objects.get(agency__slug="lumajang", desk="kadis")

    holder = kadis.holder_on(__import__("datetime").date(2026, 11, 23))

    assert holder.name == "Dra. DEWI SUSIYANTI"
    assert holder.nip == "19640617 199603 2 002"


@pytest.mark.django_db
def test_desks_are_groups_carrying_their_permission():
    for desk, _ in DESKS:
        group = Group.objects.get(name=desk)
        assert group.permissions.filter(codename=f"desk_{desk}").exists()


def test_there_is_a_demo_user_for_every_desk_of_every_agency(demo_users):
    for slug in ("palangka-raya", "solok", "lumajang"):
        assert {f"{slug}-{desk}" for desk, _ in DESKS} <= set(demo_users), slug
    # The second bidang of each agency has its own Kasi and Kabid (organisation, #14).
    assert {
        "lumajang-kasi-rehsos",
        "lumajang-kabid-rehsos",
        "solok-kasi-linjamsos",
        "palangka-raya-kabid-linjamsos",
    } <= set(demo_users)
    kasi = demo_users["lumajang-kasi"]
    assert kasi.agency.slug == "lumajang"
    assert kasi.desks == ["kasi"]
    assert kasi.has_desk("kasi")
    assert not kasi.has_desk("kadis")


def test_only_the_admin_desk_reaches_django_admin(demo_users):
    assert demo_users["solok-admin"].is_staff
    assert demo_users["solok-admin"].has_perm("sop_catalog.change_sop")
    assert not demo_users["solok-kadis"].is_staff
    assert not demo_users["solok-kadis"].has_perm("sop_catalog.change_sop")


def test_creating_demo_users_twice_keeps_one_each(demo_users):
    create_demo_users()

    assert User.objects.count() == len(demo_users)
