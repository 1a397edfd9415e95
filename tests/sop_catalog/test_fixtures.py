"""The 24 SOPs of the seed documents as fixtures: loaded whole, consistent, printable."""

import json
import re
from collections import Counter

import pytest
from django.conf import settings
from django.core.management import call_command

from sop_catalog.models import SOP, RelatedSOP, Step
from sop_catalog.timeparse import parse_time

FIXTURES = sorted((settings.BASE_DIR / "fixtures" / "sops").glob("*.json"))
# The OCR seed documents live beside this team's checkout, not in the repository.
SEEDS = {
    "000_f43e0e673103c9e8.txt": 1,
    "001_879c78f95560a95f.txt": 1,
    "002_279f899d565a98a6.txt": 1,
    "003_6f3bbd975d349ffc.txt": 20,
    "004_3385b71166d8e741.txt": 1,
}


def fixture_sops():
    assert FIXTURES, "no fixtures/sops/*.json"
    for path in FIXTURES:
        items = json.loads(path.read_text(encoding="utf-8"))
        assert len(items) == 1, f"{path.name} must hold one SOP"
        yield path, items[0]


def test_there_is_one_file_per_sop_named_after_its_slug():
    sops = list(fixture_sops())

    assert len(sops) == 24
    for path, sop in sops:
        assert path.stem == sop["slug"]
    assert Counter(sop["source"] for _, sop in sops) == SEEDS


def test_every_fixture_is_formatted_like_an_export():
    for path, _ in fixture_sops():
        text = path.read_text(encoding="utf-8")
        assert text == json.dumps(json.loads(text), ensure_ascii=False, indent=2) + "\n", path.name


def test_every_sop_with_a_letter_template_has_one_signing_step_in_each_flow():
    rows = json.loads((settings.BASE_DIR / "fixtures" / "letters.json").read_text(encoding="utf-8"))
    with_letters = {row["sop_slug"] for row in rows if row["sop_slug"] and not row["kind"].startswith("ba_")}
    sops = {sop["slug"]: sop for _, sop in fixture_sops()}
    assert with_letters and with_letters <= set(sops)
    for slug in with_letters:
        assert sops[slug]["flows"], slug
        for flow in sops[slug]["flows"]:
            assert [step.get("signs", False) for step in flow["steps"]].count(True) == 1, slug


def test_every_parsed_time_agrees_with_its_text():
    checked = 0
    for path, sop in fixture_sops():
        for flow in sop["flows"]:
            for step in flow["steps"]:
                time = step["time"]
                assert (time["min"], time["max"], time["unit"]) == tuple(parse_time(time["text"])), (
                    f"{path.name} step {step['no']}"
                )
                checked += 1
    assert checked > 150


def test_all_fixtures_load_into_24_sops_of_three_agencies(catalog):
    assert SOP.objects.count() == 24
    assert SOP.objects.values("agency").distinct().count() == 3
    assert set(SOP.objects.values_list("agency__slug", flat=True)) == {"palangka-raya", "solok", "lumajang"}


def test_loading_the_fixtures_twice_changes_nothing(catalog, capsys):
    call_command("load_sops")

    assert "tidak berubah 24" in capsys.readouterr().out
    assert SOP.objects.count() == 24


def test_every_step_has_an_activity_and_a_desk(catalog):
    steps = Step.objects.prefetch_related("actors")
    assert steps.count() > 150
    for step in steps:
        assert step.activity.strip()
        assert step.effective_desk() in {"petugas", "peksos", "kasi", "kabid", "sekdin", "kadis"}


def test_every_related_link_resolves(catalog):
    links = RelatedSOP.objects.exclude(target_slug="")
    assert links.count() >= 4
    for link in links:
        assert SOP.objects.filter(slug=link.target_slug, is_current=True).exists(), link.target_slug


def test_the_kis_spm_and_keringanan_sops_name_each_other(catalog):
    linked = set(RelatedSOP.objects.exclude(target_slug="").values_list("sop__slug", "target_slug"))

    assert ("lumajang-spm", "lumajang-keringanan-biaya-kesehatan") in linked
    assert ("lumajang-keringanan-biaya-kesehatan", "lumajang-spm") in linked
    assert ("lumajang-pencabutan-kis-pbid", "lumajang-pengajuan-kis-pbid") in linked
    assert ("lumajang-pencabutan-kis-pbid", "lumajang-spm") in linked
    assert ("lumajang-pengajuan-kis-pbid", "lumajang-keringanan-biaya-kesehatan") in linked


def test_sop_numbers_are_unique_within_each_agency(catalog):
    numbers = Counter(SOP.objects.exclude(number="").values_list("agency__slug", "number"))

    assert numbers and max(numbers.values()) == 1


def test_the_lumajang_numbers_carry_roman_numerals(catalog):
    numbers = list(SOP.objects.filter(agency__slug="lumajang").exclude(number="").values_list("number", flat=True))
    assert len(numbers) >= 17
    for number in numbers:
        division = number.split("/")[1]
        assert division in {"I", "II", "III", "IV"}, number


def test_pkh_is_a_draft_with_only_its_title(catalog):
    pkh = SOP.objects.get(slug="lumajang-pkh")

    assert pkh.status == SOP.DRAFT
    assert not Step.objects.filter(flow__sop=pkh).exists()


def test_griya_lansia_has_five_flows(catalog):
    assert SOP.objects.get(slug="lumajang-operasional-griya-lansia").flows.count() == 5


def test_the_spm_completeness_decision_returns_to_the_applicant(catalog):
    step = Step.objects.get(flow__sop__slug="lumajang-spm", no=2)

    assert {(b.label, b.action) for b in step.branches.all()} == {("Ya", "next"), ("Tidak", "applicant")}


@pytest.mark.parametrize("slug", [path.stem for path in FIXTURES])
def test_every_sop_page_renders_unless_a_draft(catalog, client, slug):
    sop = SOP.objects.get(slug=slug, version=1)
    expected = 404 if sop.status == SOP.DRAFT else 200  # drafts are never public

    assert client.get(f"/katalog/{slug}/").status_code == expected


LONGEST = ["lumajang-odgj", "lumajang-operasional-griya-lansia", "solok-bantuan-orang-terlantar"]


@pytest.mark.long(3)
@pytest.mark.parametrize("slug", LONGEST)
def test_the_longest_sops_print_as_pdf(catalog, client, slug):
    response = client.get(f"/katalog/{slug}.pdf")

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


# Words the fixtures write differently from the OCR because the OCR was mended (luran → Iuran,
# difotocopi → difotokopi, split or run-together words joined or split).
MENDED = {
    "iuran", "difotokopi", "pengecekan", "disepakati", "dipulasara", "didisposisi", "ditindaklanjuti", "kab",
    "dipelihara", "menganalisa", "pembukaan", "nominatif", "operasionalnya", "kamar", "sarana", "tua",
    "pertanggung", "pada", "mendisposisi", "berkoordinasi",
}  # fmt: skip


def words(text):
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).split()


def test_every_word_of_every_fixture_comes_from_its_seed(seed_dir):
    """Nothing invented: each word the catalog shows stands in the seed (or is a mended OCR word)."""
    seeds = {path.name: set(words(path.read_text(encoding="utf-8"))) for path in seed_dir.glob("*.txt")}
    assert set(SEEDS) <= set(seeds), f"{seed_dir} lacks seed files"
    strays = set()
    for path, sop in fixture_sops():
        texts = [sop["name"], sop["warning"], sop["recording"], sop["unit"]]
        texts += sop["legal_bases"] + sop["qualifications"] + sop["equipment"]
        texts += [r if isinstance(r, str) else r["text"] for r in sop["related_sops"]]
        texts += [doc["name"] for doc in sop["documents"]]
        for flow in sop["flows"]:
            texts.append(flow["title"])
            for step in flow["steps"]:
                texts += [step["activity"], step["requirements"], step["output"], step["time"]["text"]]
        for text in texts:
            strays |= {(path.name, word) for word in words(text) if word not in seeds[sop["source"]]}
    assert {(name, word) for name, word in strays if word not in MENDED} == set()
