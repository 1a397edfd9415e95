"""The data migration that turns `Branch.target` strings and the old signing guess into data."""

import pytest

from tests import migrating

# The test database is set up only for tests that ask for it (django_db): without it, a run of this
# module alone would walk the migrations on the development database.
pytestmark = [pytest.mark.django_db]

BEFORE = [
    ("sop_catalog", "0003_branch_action_step_signs"),
    ("cases", "0009_person_name_trigram"),
    ("agencies", "0004_unique_agency_code"),  # its later columns would be missing from the old rows
]
AFTER = [("sop_catalog", "0005_drop_branch_target")]


def make_sop(apps, agency, slug, steps):
    """An SOP under the old schema; `steps` holds (desks, activity, [(label, target)])."""
    SOP, Role, Flow, Step, Branch = (
        apps.get_model("sop_catalog", name) for name in ("SOP", "Role", "Flow", "Step", "Branch")
    )
    sop = SOP.objects.create(agency=agency, slug=slug, name=slug)
    flow = Flow.objects.create(sop=sop, order=1)
    roles = {}
    for no, (desks, activity, branches) in enumerate(steps, start=1):
        step = Step.objects.create(flow=flow, no=no, activity=activity)
        for desk in desks:
            if desk not in roles:
                roles[desk] = Role.objects.create(sop=sop, order=len(roles) + 1, label=desk.title(), desk=desk)
            step.actors.add(roles[desk])
        for order, (label, target) in enumerate(branches, start=1):
            Branch.objects.create(step=step, order=order, label=label, target=target)


SLUGS = ("uji-surat", "uji-tanpa-surat", "uji-sekdin")


def make_rows(apps):
    agency = apps.get_model("agencies", "Agency").objects.create(name="Dinas Uji Migrasi", slug="uji-migrasi")
    make_sop(
        apps,
        agency,
        "uji-surat",
        [
            (["petugas"], "Memeriksa berkas", [("Ya", "next"), ("Tidak", "applicant")]),
            (["kasi", "kabid", "sekdin"], "Diajukan untuk mendapatkan pengesahan berjenjang", []),
            (["kadis"], "Diajukan kepada Kepala Dinas untuk persetujuan", []),
            (["petugas"], "Menyerahkan surat", []),
        ],
    )
    apps.get_model("cases", "LetterTemplate").objects.create(
        agency=agency, sop_slug="uji-surat", kind="rekomendasi", title="Rekomendasi", classification_code="400.9"
    )
    make_sop(
        apps,
        agency,
        "uji-tanpa-surat",
        [
            (["petugas"], "Memeriksa kelayakan", [("Layak", "next"), ("Tidak layak", "applicant")]),
            (["kadis"], "Mendisposisi permohonan", [("Ya", "next"), ("Tidak", "applicant")]),
            (["kadis"], "Kepala Dinas menandatangani persetujuan", [("Ulang", "step:1"), ("Selesai", "end")]),
            (["kadis"], "Kepala Dinas mengesahkan laporan", []),
        ],
    )
    make_sop(apps, agency, "uji-sekdin", [(["sekdin"], "Sekretaris menandatangani", [])])


def read_rows(apps):
    Branch, Step = apps.get_model("sop_catalog", "Branch"), apps.get_model("sop_catalog", "Step")
    result = {"branch_fields": {field.name for field in Branch._meta.fields}}
    for slug in SLUGS:
        rows = Branch.objects.filter(step__flow__sop__slug=slug).order_by("step__no", "order")
        result[slug] = {
            "branches": [(row.step.no, row.label, row.action, row.step_no) for row in rows],
            "signs": list(Step.objects.filter(flow__sop__slug=slug, signs=True).values_list("no", flat=True)),
        }
    return result


STOP = migrating.stop(__name__, before=BEFORE, after=AFTER, make=make_rows, read=read_rows)


@pytest.fixture(scope="module")
def migrated(migration_walk):
    """Rows made under the old schema and migrated forward, read back (at a stop of the walk of
    every migration, tests/migrating.py)."""
    return migration_walk[STOP]["read"]


def test_the_migration_drops_the_target_column(migrated):
    assert "action" in migrated["branch_fields"]
    assert "target" not in migrated["branch_fields"]


def test_an_applicant_exit_at_the_front_desk_stays_a_return_for_missing_papers(migrated):
    assert (1, "Tidak", "applicant", None) in migrated["uji-surat"]["branches"]


def test_an_applicant_exit_labelled_layak_becomes_a_reject(migrated):
    assert (1, "Tidak layak", "reject", None) in migrated["uji-tanpa-surat"]["branches"]


def test_an_applicant_exit_at_a_superior_desk_becomes_a_reject(migrated):
    assert (2, "Tidak", "reject", None) in migrated["uji-tanpa-surat"]["branches"]


def test_next_end_and_jump_targets_become_actions(migrated):
    assert migrated["uji-tanpa-surat"]["branches"][0] == (1, "Layak", "next", None)
    assert migrated["uji-tanpa-surat"]["branches"][-2:] == [(3, "Ulang", "step", 1), (3, "Selesai", "end", None)]


def test_an_sop_with_a_letter_template_signs_at_its_last_kadis_step(migrated):
    assert migrated["uji-surat"]["signs"] == [3]


def test_an_sop_without_letters_signs_at_the_first_kadis_step_that_says_it_signs(migrated):
    assert migrated["uji-tanpa-surat"]["signs"] == [3]


def test_without_a_kadis_step_the_sekdin_step_that_says_it_signs_signs(migrated):
    assert migrated["uji-sekdin"]["signs"] == [1]
