"""Organisation (issue #14), the audit's gaps: a front desk bound to one unit opens only that unit's
SOPs; a disposisi to a position waits for that position's holder, a successor too; staff positions
(Pekerja Sosial, Pengelola) and an UPT in the fixture; the SOP's page shows its unit."""

import datetime
import json
import re

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from agencies import org
from agencies.models import Official, Position, Unit, User
from cases import intake, rules, selectors, services, workflow
from cases.models import Case, Notification
from cases.notifications import notify_desk, write_notices
from sop_catalog.models import SOP
from sop_catalog.services import import_sops
from tests.conftest import hand_over
from tests.factories import CaseFactory, PersonFactory

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


# --- a disposisi to a position follows the position ----------------------------------------------


@pytest.fixture
def kasi_sop(catalog):
    """A rehabilitation-bidang SOP whose Kabid disposes down to one of the bidang's two Kasi."""
    data = json.loads((DATA / "dispose_sop.json").read_text(encoding="utf-8"))
    sop = data[0]
    sop["slug"], sop["name"], sop["org_unit"] = "lumajang-uji-disposisi-kasi", "Uji Disposisi Kasi", REHSOS
    sop["roles"] = [{"label": "Petugas", "desk": "petugas"}, {"label": "Kabid", "desk": "kabid"},
                    {"label": "Kasi", "desk": "kasi"}]  # fmt: skip
    steps = sop["flows"][0]["steps"]
    steps[1].update(activity="Kepala Bidang mendisposisi laporan", actors=["Kabid"])
    steps[2].update(activity="Kasi menindaklanjuti", actors=["Kasi"])
    import_sops(data)
    return current("lumajang-uji-disposisi-kasi")


@pytest.fixture
def disposed(kasi_sop, demo_users, walk):
    """A case the Kabid disposed to the position of the Kasi Anak dan Lanjut Usia (lumajang-kasi-rehsos)."""
    case = walk(CaseFactory(registered=True, sop=kasi_sop), username="lumajang-petugas")
    assert case.current_step.desk == "kabid"
    position = Position.objects.get(officials__user=demo_users["lumajang-kasi-rehsos"], desk="kasi")
    case = walk(
        case,
        username="lumajang-kabid-rehsos",
        disposition={"instructions": ["Untuk diproses"], "to_position": position},
    )
    assert case.current_step.desk == "kasi" and case.current_step.to_position == position
    return Case.objects.get(pk=case.pk)


def test_before_the_disposisi_both_kasi_of_the_bidang_serve_the_case(kasi_sop, demo_users):
    unit = kasi_sop.org_unit_id

    assert org.serves(demo_users["lumajang-kasi-rehsos"], "kasi", unit)
    assert org.serves(demo_users["lumajang-kasi-tunasos"], "kasi", unit)


def test_the_other_kasi_neither_sees_nor_may_act_on_a_disposisi_to_one_of_them(disposed, demo_users):
    addressed, other = fresh(demo_users["lumajang-kasi-rehsos"]), fresh(demo_users["lumajang-kasi-tunasos"])

    assert list(selectors.inbox(user=addressed)) == [disposed]
    assert disposed not in selectors.inbox(user=other)
    assert disposed.holds(addressed) and not disposed.holds(other)
    with pytest.raises(PermissionDenied):
        workflow.complete_step(case=disposed, user=other, step_id=disposed.current_step_id)


def test_the_case_pages_buttons_are_the_addressed_kasis_only(disposed, demo_users):
    addressed, other = fresh(demo_users["lumajang-kasi-rehsos"]), fresh(demo_users["lumajang-kasi-tunasos"])

    assert "complete_step" in rules.actions(disposed, addressed)
    assert rules.actions(disposed, other) & set(rules.STEP_ACTIONS) == set()


def test_after_a_handover_the_successor_has_the_disposisi_and_the_predecessor_not(disposed, demo_users):
    predecessor = demo_users["lumajang-kasi-rehsos"]
    successor = User.objects.create_user("kasi-anak-baru", agency=predecessor.agency)
    hand_over(disposed.current_step.to_position, predecessor, successor)
    successor, predecessor = fresh(successor), fresh(predecessor)

    assert list(selectors.inbox(user=successor)) == [disposed]
    assert disposed not in selectors.inbox(user=predecessor)
    assert disposed.holds(successor) and not disposed.holds(predecessor)
    other = fresh(demo_users["lumajang-kasi-tunasos"])  # the other Kasi of the bidang still has nothing
    assert disposed not in selectors.inbox(user=other) and not disposed.holds(other)
    case = workflow.complete_step(
        case=disposed,
        user=successor,
        step_id=disposed.current_step_id,
        disposition={"instructions": ["Untuk diproses"]},
    )
    assert case.current_step.desk == "petugas"


def test_the_notices_written_after_a_handover_go_to_the_successor(kasi_sop, demo_users, walk, monkeypatch):
    queued = []
    monkeypatch.setattr("cases.tasks.enqueue_notices", lambda **event: queued.append(event))
    predecessor = demo_users["lumajang-kasi-rehsos"]
    position = Position.objects.get(officials__user=predecessor, desk="kasi")
    case = walk(CaseFactory(registered=True, sop=kasi_sop), username="lumajang-petugas")
    case = walk(case, username="lumajang-kabid-rehsos",
                disposition={"instructions": ["Untuk diproses"], "to_position": position})  # fmt: skip
    successor = User.objects.create_user("kasi-anak-pengganti", agency=predecessor.agency)
    hand_over(position, predecessor, successor)
    notify_desk(case, "kasi", kind=Notification.OVERDUE, step=case.current_step)  # an overdue notice, later

    disposisi, overdue = [e for e in queued if e["kind"] in (Notification.DISPOSISI, Notification.OVERDUE)]
    for number, event in enumerate((disposisi, overdue)):
        assert write_notices(event=f"uji-{number}", **event) == [successor]


def test_a_disposisi_to_a_position_nobody_holds_waits_for_the_whole_desk(disposed, demo_users):
    position = disposed.current_step.to_position
    holding = position.officials.get(user=demo_users["lumajang-kasi-rehsos"])
    holding.end = TODAY - datetime.timedelta(days=1)
    holding.save()  # as the admin does: the signals drop the cached desks and staffed positions
    other = fresh(demo_users["lumajang-kasi-tunasos"])

    assert disposed in selectors.inbox(user=other)
    assert disposed.holds(other)


def test_a_disposisi_to_the_whole_desk_reaches_both_kasi(kasi_sop, demo_users, walk):
    case = walk(CaseFactory(registered=True, sop=kasi_sop), username="lumajang-petugas")
    case = walk(case, username="lumajang-kabid-rehsos", disposition={"instructions": ["Untuk diproses"]})

    assert case.current_step.to_position is None
    for username in ("lumajang-kasi-rehsos", "lumajang-kasi-tunasos"):
        user = fresh(demo_users[username])
        assert case in selectors.inbox(user=user) and case.holds(user), username


# Who may act on an addressed step and who is told follow one rule (org.staffed_positions): a
# position whose acting holder cannot act (a Plh. without an account, a Plt. deactivated) or that has
# moved to another desk waits for the whole desk, and the whole desk is told.


def told(case, monkeypatch):
    """The users a notice of the case's current step would go to now."""
    queued = []
    monkeypatch.setattr("cases.tasks.enqueue_notices", lambda **event: queued.append(event))
    notify_desk(case, case.current_step.desk, kind=Notification.OVERDUE, step=case.current_step)
    assert len(queued) == 1
    told.calls = getattr(told, "calls", 0) + 1  # each its own event: a written event is not written again
    return set(write_notices(event=f"uji-staffed-{told.calls}", **queued[0]))


def who_acts(case, demo_users):
    """Of the two Kasi of the bidang, those who see the case in their inbox and those who may act."""
    names = ("lumajang-kasi-rehsos", "lumajang-kasi-tunasos")
    users = {name: fresh(demo_users[name]) for name in names}
    return (
        {name for name, user in users.items() if case in selectors.inbox(user=user)},
        {name for name, user in users.items() if Case.objects.get(pk=case.pk).holds(user)},
    )


def test_a_plh_without_an_account_leaves_the_addressed_step_to_the_whole_desk(disposed, demo_users, monkeypatch):
    position = disposed.current_step.to_position
    Official.objects.create(position=position, name="PLH TANPA AKUN", acting=Official.PLH, start=TODAY,
                            end=TODAY + datetime.timedelta(days=3))  # fmt: skip

    # The Plh. acts in the position (the definitive Kasi has not its desk meanwhile) but cannot sign
    # in: the rest of the desk, the other Kasi of the bidang, sees it, may act and is told.
    rest = {"lumajang-kasi-tunasos"}
    assert who_acts(disposed, demo_users) == (rest, rest)
    assert {user.username for user in told(disposed, monkeypatch)} == rest


def test_a_deactivated_plt_leaves_the_addressed_step_to_the_whole_desk(disposed, demo_users, monkeypatch):
    position = disposed.current_step.to_position
    plt = User.objects.create_user("plt-kasi-anak", agency=disposed.agency)
    Official.objects.create(position=position, name="PLT KASI ANAK", acting=Official.PLT, user=plt, start=TODAY,
                            end=TODAY + datetime.timedelta(days=3))  # fmt: skip
    assert who_acts(disposed, demo_users) == (set(), set())  # the Plt. acts, not the two Kasi
    assert told(disposed, monkeypatch) == {plt}

    plt.is_active = False
    plt.save()

    rest = {"lumajang-kasi-tunasos"}  # the definitive Kasi still gives way to the Plt.'s period
    assert who_acts(disposed, demo_users) == (rest, rest)
    assert {user.username for user in told(disposed, monkeypatch)} == rest


def test_a_position_moved_to_another_desk_leaves_the_addressed_step_to_the_whole_desk(disposed, demo_users):
    position = disposed.current_step.to_position
    position.desk = "peksos"
    position.save()

    assert who_acts(disposed, demo_users) == ({"lumajang-kasi-tunasos"}, {"lumajang-kasi-tunasos"})


@pytest.fixture
def revised_sop(catalog):
    """Petugas, a Kadis who disposes down to a Kasi of the rehabilitation bidang, the Kasi, then the Kabid."""
    data = json.loads((DATA / "dispose_sop.json").read_text(encoding="utf-8"))
    sop = data[0]
    sop["slug"], sop["name"], sop["org_unit"] = "lumajang-uji-revisi-kasi", "Uji Revisi Kasi", REHSOS
    sop["roles"] = [{"label": "Petugas", "desk": "petugas"}, {"label": "Kadis", "desk": "kadis"},
                    {"label": "Kasi", "desk": "kasi"}, {"label": "Kabid", "desk": "kabid"}]  # fmt: skip
    steps = sop["flows"][0]["steps"]
    steps[2].update(activity="Kasi menindaklanjuti", actors=["Kasi"])
    steps[3].update(activity="Kabid memeriksa hasil", actors=["Kabid"])
    import_sops(data)
    return current("lumajang-uji-revisi-kasi")


def test_a_revision_goes_back_to_the_position_the_disposisi_addressed(revised_sop, demo_users, walk):
    position = Position.objects.get(officials__user=demo_users["lumajang-kasi-rehsos"], desk="kasi")
    case = walk(CaseFactory(registered=True, sop=revised_sop), username="lumajang-petugas")
    case = walk(case, username="lumajang-kadis",
                disposition={"instructions": ["Untuk diproses"], "to_position": position})  # fmt: skip
    case = walk(case, username="lumajang-kasi-rehsos")
    assert case.current_step.desk == "kabid"

    back = workflow.return_for_revision(
        case=case, user=fresh(demo_users["lumajang-kabid-rehsos"]), step_id=case.current_step_id, note="Perbaiki"
    )

    assert back.current_step.desk == "kasi" and back.current_step.to_position == position
    assert Case.objects.get(pk=back.pk).queue_to_position == position
    assert who_acts(back, demo_users) == ({"lumajang-kasi-rehsos"}, {"lumajang-kasi-rehsos"})
