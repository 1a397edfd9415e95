"""cases 0018: a case sitting at a step it reached by a disposisi to a jabatan waits for that jabatan
from then on (CaseStep.to_position, Case.queue_to_position); every other case is left as it was."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests import migrating

# The test database is set up only for tests that ask for it (django_db): without it, a run of this
# module alone would walk the migrations on the development database.
pytestmark = [pytest.mark.django_db]

# Only cases goes back: agencies and sop_catalog are already at their last migrations, which 0017 runs with.
BEFORE = [
    ("agencies", "0012_subbagian_under_sekretariat"),
    ("sop_catalog", "0008_org_units"),
    ("cases", "0017_notification_event"),
]
AFTER = [("cases", "0018_disposisi_to_position")]

SLUG = "uji-0018"
TO_POSITION = "UJI/2026/018001"  # at the Kasi by a disposisi to the Kepala Seksi Rehabilitasi Anak
TO_DESK = "UJI/2026/018002"  # at the Kasi by a disposisi to the whole Kasi desk (no jabatan)
NO_DISPOSISI = "UJI/2026/018003"  # at the Kasi, forwarded by the petugas: no disposisi at all
NUMBERS = (TO_POSITION, TO_DESK, NO_DISPOSISI)


def make_rows(apps):
    Agency, Unit, Position, User = (apps.get_model("agencies", n) for n in ("Agency", "Unit", "Position", "User"))
    agency = Agency.objects.create(name="Dinas Uji Migrasi 0018", slug=SLUG)
    bidang = Unit.objects.create(agency=agency, name="Bidang Rehabilitasi Sosial", kind="bidang")
    anak, lansia = (
        Position.objects.create(agency=agency, title=f"Kepala Seksi Rehabilitasi {name}", desk="kasi", unit=bidang)
        for name in ("Anak", "Lansia")
    )
    petugas, kabid = (
        User.objects.create(username=f"m18-{desk}", agency=agency, first_name="Uji", last_name=desk.title())
        for desk in ("petugas", "kabid")
    )
    sop = apps.get_model("sop_catalog", "SOP").objects.create(agency=agency, slug=SLUG, name="SOP Uji 0018")
    Disposition = apps.get_model("cases", "Disposition")
    case = make_case(apps, sop, TO_POSITION, arrived_by=kabid, arrival_kind="disposisi")
    # An earlier disposisi to the other seksi (the case came back up since): the latest one counts.
    earlier = Disposition.objects.create(
        case=case, by=kabid, from_desk="kabid", to_desk="kasi", to_position=lansia, instructions=["Koordinasikan"]
    )
    Disposition.objects.filter(pk=earlier.pk).update(at=earlier.at - datetime.timedelta(days=2))
    Disposition.objects.create(
        case=case, by=kabid, from_desk="kabid", to_desk="kasi", to_position=anak, instructions=["Untuk diproses"]
    )
    case = make_case(apps, sop, TO_DESK, arrived_by=kabid, arrival_kind="disposisi")
    Disposition.objects.create(case=case, by=kabid, from_desk="kabid", to_desk="kasi", instructions=["Untuk diproses"])
    make_case(apps, sop, NO_DISPOSISI, arrived_by=petugas, arrival_kind="arrived")
    return snapshot(apps)  # each case as made under 0017


def make_case(apps, sop, number, arrived_by, arrival_kind):
    """A case at its Kasi step under 0017: the petugas's step and the Kabid's done, the Kasi's current."""
    Person, Case, CaseStep = (apps.get_model("cases", n) for n in ("Person", "Case", "CaseStep"))
    flow = apps.get_model("sop_catalog", "Flow").objects.create(sop=sop, order=int(number[-1]))
    person = Person.objects.create(
        agency=sop.agency, name="WARGA UJI 0018", name_folded="warga uji 0018", without_papers=True
    )
    petugas = apps.get_model("agencies", "User").objects.get(username="m18-petugas")
    case = Case.objects.create(
        agency=sop.agency, sop=sop, flow=flow, applicant=person, beneficiary=person, purpose="uji migrasi 0018",
        created_by=petugas, number=number, state="at_kasi", queue_desk="kasi", queue_rank=3,
    )  # fmt: skip
    for position, (desk, status) in enumerate((("petugas", "done"), ("kabid", "done"), ("kasi", "current"))):
        sop_step = apps.get_model("sop_catalog", "Step").objects.create(flow=flow, no=position + 1, activity=desk)
        step = CaseStep.objects.create(
            case=case, sop_step=sop_step, position=position, no=position + 1, desk=desk, status=status,
            completed_by=petugas if status == "done" else None,
            arrived_by=arrived_by if status == "current" else None,
            arrival_kind=arrival_kind if status == "current" else "",
        )  # fmt: skip
    Case.objects.filter(pk=case.pk).update(current_step=step, queue_since=case.created_at)
    return case


def snapshot(apps):
    """What 0018 must not touch, per case: its state, queue, current step and every step's status."""
    Case = apps.get_model("cases", "Case")
    return {
        case.number: {
            "state": case.state,
            "queue": (case.queue_desk, case.queue_rank, case.queue_since),
            "current": (case.current_step.position, case.current_step.desk, case.current_step.status),
            "steps": list(
                case.steps.order_by("position").values_list(
                    "position", "desk", "status", "arrival_kind", "completed_by__username", "arrived_by__username"
                )
            ),
            "dispositions": list(
                case.dispositions.order_by("at", "id").values_list("to_desk", "to_position__title", "instructions")
            ),
        }
        for case in Case.objects.filter(number__in=NUMBERS).select_related("current_step")
    }


def addressed_to(apps):
    """Per case: the jabatan its queue waits for and the jabatan of each of its steps, by title."""
    Case = apps.get_model("cases", "Case")
    return {
        case.number: {
            "queue_to_position": case.queue_to_position.title if case.queue_to_position else None,
            "current_step": case.current_step.to_position.title if case.current_step.to_position else None,
            "steps": list(case.steps.order_by("position").values_list("to_position__title", flat=True)),
        }
        for case in Case.objects.filter(number__in=NUMBERS).select_related(
            "queue_to_position", "current_step__to_position"
        )
    }


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def columns(model):
    with connection.cursor() as cursor:
        return {column.name for column in connection.introspection.get_table_description(cursor, model._meta.db_table)}


def read_rows(apps):
    """After 0018; then back to 0017 (its reverse is RunPython.noop: the columns go, nothing else)
    and forward once more, which has to address the same case again."""
    forward = {"snapshot": snapshot(apps), "addressed": addressed_to(apps)}
    old_apps = migrate(BEFORE)
    backward = {
        "snapshot": snapshot(old_apps),
        "columns": {model: columns(old_apps.get_model("cases", model)) for model in ("Case", "CaseStep")},
    }
    apps = migrate(AFTER)
    again = {"snapshot": snapshot(apps), "addressed": addressed_to(apps)}
    return {"forward": forward, "backward": backward, "again": again}


STOP = migrating.stop(__name__, before=BEFORE, after=AFTER, make=make_rows, read=read_rows)


@pytest.fixture(scope="module")
def migrated(migration_walk):
    """What read_rows found, and under "made" each case as make_rows left it under 0017."""
    return {**migration_walk[STOP]["read"], "made": migration_walk[STOP]["made"]}


def test_the_rows_were_made_as_meant(migrated):
    made = migrated["made"]
    assert set(made) == set(NUMBERS)
    assert made[TO_POSITION]["dispositions"] == [
        ("kasi", "Kepala Seksi Rehabilitasi Lansia", ["Koordinasikan"]),
        ("kasi", "Kepala Seksi Rehabilitasi Anak", ["Untuk diproses"]),
    ]
    assert made[TO_DESK]["dispositions"] == [("kasi", None, ["Untuk diproses"])]
    assert made[NO_DISPOSISI]["dispositions"] == []
    assert all(case["current"] == (2, "kasi", "current") for case in made.values())


def test_a_step_reached_by_a_disposisi_to_a_jabatan_waits_for_the_latest_ones_jabatan(migrated):
    assert migrated["forward"]["addressed"][TO_POSITION] == {
        "queue_to_position": "Kepala Seksi Rehabilitasi Anak",
        "current_step": "Kepala Seksi Rehabilitasi Anak",
        "steps": [None, None, "Kepala Seksi Rehabilitasi Anak"],
    }


def test_a_disposisi_to_the_desk_and_no_disposisi_leave_the_case_unaddressed(migrated):
    unaddressed = {"queue_to_position": None, "current_step": None, "steps": [None, None, None]}
    assert migrated["forward"]["addressed"][TO_DESK] == unaddressed
    assert migrated["forward"]["addressed"][NO_DISPOSISI] == unaddressed


def test_nothing_else_on_the_cases_changes(migrated):
    assert migrated["forward"]["snapshot"] == migrated["made"]


def test_the_reverse_drops_the_columns_and_leaves_the_cases_as_they_were(migrated):
    backward = migrated["backward"]
    assert backward["snapshot"] == migrated["made"]
    assert "queue_to_position_id" not in backward["columns"]["Case"]
    assert "to_position_id" not in backward["columns"]["CaseStep"]
    assert {"queue_desk", "current_step_id"} <= backward["columns"]["Case"]  # the table is read, not empty


def test_forward_again_after_the_reverse_addresses_the_same_case(migrated):
    assert migrated["again"] == migrated["forward"]
