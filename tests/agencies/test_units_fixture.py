"""The organisation units of fixtures/agencies.json (issue #14): pure JSON checks, no database."""

import json
import re
from collections import Counter

from django.conf import settings

FIXTURES = settings.BASE_DIR / "fixtures"
KINDS = {"sekretariat", "bidang", "seksi", "subbagian", "upt"}
# The kind a unit's parent must have (None: no parent).
PARENT_KIND = {"sekretariat": None, "bidang": None, "seksi": "bidang", "subbagian": "sekretariat", "upt": None}
# SOPs whose seed says nothing about who runs them (lumajang-pkh: only its title is in the seed).
NO_UNIT = {"lumajang-pkh"}
# A unit-name word the seed writes only in another form: Kasi (Kepala Seksi), Bagian Kesekretariatan.
ATTESTED_AS = {"seksi": "kasi", "sekretariat": "kesekretariatan"}
# The front desk of every agency is in the Sekretariat and serves all its SOPs; Lumajang's Linjamsos
# SOPs also have their own (the “Pengelola” column of the seed), bound to that bidang.
SHARED_FRONT_DESK = ("Petugas Pelayanan", "Sekretariat")
FRONT_DESKS = {"lumajang": [SHARED_FRONT_DESK, ("Pengelola", "Bidang Perlindungan dan Jaminan Sosial")]}


def agencies():
    return json.loads((FIXTURES / "agencies.json").read_text(encoding="utf-8"))


def units_by_name(agency):
    units = agency["units"]
    names = Counter(unit["name"] for unit in units)
    assert names and max(names.values()) == 1, f"{agency['slug']}: unit names must be unique: {names}"
    return {unit["name"]: unit for unit in units}


def sops():
    paths = sorted((FIXTURES / "sops").glob("*.json"))
    assert len(paths) == 24
    return [json.loads(path.read_text(encoding="utf-8"))[0] for path in paths]


def words(text):
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).split()


def test_every_unit_has_a_known_kind_and_a_parent_of_the_right_kind():
    checked = 0
    for agency in agencies():
        units = units_by_name(agency)
        for unit in units.values():
            assert unit["kind"] in KINDS, unit
            wanted = PARENT_KIND[unit["kind"]]
            if wanted is None:
                assert unit["parent"] is None, unit
            else:
                assert unit["parent"] in units, f"{agency['slug']}: parent of {unit['name']} is not a unit"
                assert units[unit["parent"]]["kind"] == wanted, unit
            checked += 1
    assert checked >= 15


def test_every_unit_is_either_sourced_or_marked_demo():
    for agency in agencies():
        for unit in agency["units"]:
            if unit.get("demo"):
                assert unit["demo"] is True and "demo unit" in unit["note"].lower(), unit
                assert "source" not in unit, unit
            else:
                assert unit["source"].split(": ", 1)[0].endswith(".txt"), unit


def test_each_agency_has_a_sekretariat_and_two_bidang_each_with_a_seksi():
    for agency in agencies():
        units = agency["units"]
        assert [u["kind"] for u in units].count("sekretariat") == 1, agency["slug"]
        bidang = [u["name"] for u in units if u["kind"] == "bidang"]
        assert len(bidang) >= 2, agency["slug"]
        for name in bidang:
            assert any(u["kind"] == "seksi" and u["parent"] == name for u in units), name


def test_every_position_sits_in_a_unit_and_only_the_kepala_dinas_heads_the_whole_agency():
    for agency in agencies():
        units = units_by_name(agency)
        desks = Counter()
        for position in agency["positions"]:
            desks[position["desk"]] += 1
            if position["desk"] == "kadis":
                assert position["unit"] == "", position["title"]
                continue
            assert position["unit"] in units, f"{agency['slug']}: {position['title']} in unknown {position['unit']!r}"
            kind = units[position["unit"]]["kind"]
            wanted = {"kabid": "bidang", "kasi": "seksi", "sekdin": "sekretariat"}.get(position["desk"])
            assert wanted is None or kind == wanted, position["title"]
            if position["desk"] in ("kabid", "kasi"):
                assert position["title"] == position["unit"].replace("Bidang ", "Kepala Bidang ", 1).replace(
                    "Seksi ", "Kepala Seksi ", 1
                ), position["title"]
        assert desks["kadis"] == 1 and desks["sekdin"] == 1, agency["slug"]
        front_desks = [(p["title"], p["unit"]) for p in agency["positions"] if p["desk"] == "petugas"]
        assert front_desks == FRONT_DESKS.get(agency["slug"], [SHARED_FRONT_DESK]), agency["slug"]


def test_every_bidang_has_a_kabid_and_kasi_held_by_a_demo_login_and_every_head_has_an_official():
    for agency in agencies():
        positions = agency["positions"]
        for position in positions:
            if position["desk"] in ("kadis", "sekdin", "kabid", "kasi"):
                assert position["officials"], f"{agency['slug']}: {position['title']} has no official"
        units = units_by_name(agency)
        for bidang in (name for name, unit in units.items() if unit["kind"] == "bidang"):
            seksi = {name for name, unit in units.items() if unit["parent"] == bidang}
            kabid = [p for p in positions if p["desk"] == "kabid" and p["unit"] == bidang]
            kasi = [p for p in positions if p["desk"] == "kasi" and p["unit"] in seksi]
            assert len(kabid) == 1, bidang
            assert {p["unit"] for p in kasi} == seksi, f"{bidang}: a seksi without its Kepala Seksi"
            assert any(o.get("demo_user") for o in kabid[0]["officials"]), bidang
            assert any(o.get("demo_user") for p in kasi for o in p["officials"]), bidang


def test_demo_users_and_nips_are_unique_and_the_existing_logins_keep_their_desks():
    users, nips = Counter(), Counter()
    for agency in agencies():
        slug = agency["slug"]
        held = {}
        for position in agency["positions"]:
            for official in position["officials"]:
                if official["nip"]:
                    nips[official["nip"]] += 1
                assert official.get("acting") in (None, "Plt.", "Plh."), official
                if "demo_user" in official:
                    users[official["demo_user"]] += 1
                    held[official["demo_user"]] = position["desk"]
                    assert official["demo_user"].startswith(f"{slug}-{position['desk']}"), official
        for desk in ("kadis", "sekdin", "kabid", "kasi", "petugas"):
            assert held.get(f"{slug}-{desk}") == desk, f"{slug}-{desk}"
    assert users and max(users.values()) == 1, users
    assert max(nips.values()) == 1, nips


def test_every_sop_names_a_unit_of_its_agency():
    units = {agency["slug"]: units_by_name(agency) for agency in agencies()}
    for sop in sops():
        if sop["slug"] in NO_UNIT:
            assert sop["org_unit"] is None and not sop["flows"], sop["slug"]
            continue
        unit = units[sop["agency"]["slug"]].get(sop["org_unit"])
        assert unit is not None, f"{sop['slug']}: {sop['org_unit']!r} is no unit of {sop['agency']['slug']}"
        assert unit["kind"] in ("bidang", "seksi"), sop["slug"]
        assert not unit.get("demo"), f"{sop['slug']} is run by a demo unit"


def test_every_seeded_unit_name_stands_in_its_seed(seed_dir):
    """Nothing invented: each word of a non-demo unit's name is in the seed its source cites."""
    seeds = {path.name: set(words(path.read_text(encoding="utf-8"))) for path in seed_dir.glob("*.txt")}
    strays, checked = [], 0
    for agency in agencies():
        for unit in agency["units"]:
            if unit.get("demo"):
                continue
            seed = seeds[unit["source"].split(": ", 1)[0]]
            missing = [w for w in words(unit["name"]) if w not in seed and ATTESTED_AS.get(w) not in seed]
            strays += [(unit["name"], w) for w in missing]
            checked += 1
    assert checked >= 10
    assert strays == []
