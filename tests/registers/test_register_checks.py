"""fixtures/register_checks.json: every mark sits on a step whose text demands it, as the seed says."""

import json
import re

import pytest
from django.conf import settings
from django.core.management import call_command

from agencies.models import Agency
from registers.models import Check
from registers.services import RegisterDataError, load_register_data
from sop_catalog.models import Step
from sop_catalog.services import copy_to_agency, create_new_version, export_sop, validate_sop
from tests.registers.conftest import register_data

SOPS = settings.BASE_DIR / "fixtures" / "sops"


def marks():
    return register_data()["checks"]


def fixture_sop(slug):
    return next(
        item for item in json.loads((SOPS / f"{slug}.json").read_text(encoding="utf-8")) if item["slug"] == slug
    )


def test_the_fixture_marks_the_four_sops_the_issue_names():
    assert {mark["sop"] for mark in marks()} == {
        "lumajang-spm",
        "lumajang-keringanan-biaya-kesehatan",
        "lumajang-pengajuan-kis-pbid",
        "lumajang-penyantunan-fakir-miskin",
    }


@pytest.mark.parametrize("mark", marks(), ids=lambda mark: mark["sop"])
def test_each_marked_step_holds_its_phrases_in_the_sop_fixture(mark):
    step = next(s for s in fixture_sop(mark["sop"])["flows"][mark["flow"] - 1]["steps"] if s["no"] == mark["step"])
    text = " ".join(step["activity"].split()).lower()
    assert [phrase for phrase in mark["phrases"] if phrase.lower() not in text] == []


def in_seed(phrase, seed):
    """The phrase's words in order in the OCR text, spaces dropped, with a little OCR noise between."""
    compact = re.sub(r"\s+", "", seed.lower())
    pattern = ".{0,20}?".join(re.escape(word) for word in phrase.lower().split())
    return re.search(pattern, compact) is not None


@pytest.mark.parametrize("mark", marks(), ids=lambda mark: mark["sop"])
def test_each_phrase_comes_from_the_seed(mark, seed_dir):
    seed = (seed_dir / fixture_sop(mark["sop"])["source"]).read_text(encoding="utf-8")
    assert [phrase for phrase in mark["phrases"] if not in_seed(phrase, seed)] == []


def test_load_registers_marks_every_step_of_the_catalog(agencies):
    call_command("load_sops", verbosity=0)
    call_command("load_registers", verbosity=0)
    marked = {
        (c.step.flow.sop.slug, c.step.no, c.register_code, c.expectation)
        for c in Check.objects.select_related("step__flow__sop")
    }
    assert ("lumajang-spm", 3, "pbi-daerah", Check.FORBIDDEN) in marked
    assert len(marked) == sum(len(mark["registers"]) for mark in marks())


def test_loading_twice_changes_nothing(agencies):
    call_command("load_sops", verbosity=0)
    call_command("load_registers", verbosity=0)
    before = list(Check.objects.order_by("pk").values_list("pk", "step_id", "register_code", "expectation"))
    call_command("load_registers", verbosity=0)
    assert list(Check.objects.order_by("pk").values_list("pk", "step_id", "register_code", "expectation")) == before


def test_a_mark_on_a_step_without_its_phrase_is_refused(lumajang_spm):
    data = register_data(["lumajang-spm"])
    data["checks"][0]["step"] = 2
    with pytest.raises(RegisterDataError, match="tidak memuat"):
        load_register_data(data)


def test_a_mark_on_a_missing_step_is_refused(lumajang_spm):
    data = register_data(["lumajang-spm"])
    data["checks"][0]["step"] = 99
    with pytest.raises(RegisterDataError, match="tidak ada di katalog"):
        load_register_data(data)
    assert Step.objects.filter(flow__sop=lumajang_spm, no=3).get().register_checks.count() == 3


def _checks_of(sop):
    return sorted(
        Check.objects.filter(step__flow__sop=sop).values_list("step__no", "order", "register_code", "expectation")
    )


def test_a_new_version_keeps_the_checks_of_its_steps(lumajang_spm):
    before = _checks_of(lumajang_spm)
    assert len(before) == 3

    new = create_new_version(lumajang_spm)

    assert new.version == lumajang_spm.version + 1
    assert _checks_of(new) == before
    assert _checks_of(lumajang_spm) == before  # the old version keeps its own


def test_a_copy_to_another_agency_keeps_the_checks(lumajang_spm):
    solok = Agency.objects.get(slug="solok")

    copy = copy_to_agency(lumajang_spm, agency=solok)

    assert copy.agency == solok
    assert _checks_of(copy) == _checks_of(lumajang_spm)


def test_a_step_rewritten_in_the_new_version_drops_its_checks(lumajang_spm):
    data = validate_sop(0, export_sop(lumajang_spm))
    data["flows"][0]["steps"][2]["activity"] = "Memeriksa berkas permohonan."

    new = create_new_version(lumajang_spm, data=data)

    assert _checks_of(new) == []
