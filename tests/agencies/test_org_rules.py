"""agencies.org's pure rules, without the database: which units a position serves, who acts."""

import datetime

from agencies.models import Official, acting_holder
from agencies.org import served_units

# 1 Sekretariat, 2 Subbagian Umum under it; 10 Bidang A with seksi 11 and 12; 20 Bidang B with seksi 21; 30 an UPT.
TREE = {
    1: (None, "sekretariat"),
    2: (1, "subbagian"),
    10: (None, "bidang"),
    11: (10, "seksi"),
    12: (10, "seksi"),
    20: (None, "bidang"),
    21: (20, "seksi"),
    30: (None, "upt"),
}


def test_a_kasi_serves_their_seksi_and_its_bidang_not_the_sibling_seksi():
    assert served_units(11, TREE) == {11, 10}


def test_a_kabid_serves_their_bidang_and_all_its_seksi():
    assert served_units(10, TREE) == {10, 11, 12}


def test_the_front_desk_of_an_upt_serves_the_upt_and_the_sekretariat_the_whole_agency():
    assert served_units(30, TREE) == {30}
    assert served_units(1, TREE) is None and served_units(2, TREE) is None
    assert served_units(None, TREE) is None  # the Kepala Dinas: no unit


def test_a_unit_the_cached_tree_does_not_know_serves_only_itself():
    assert served_units(99, TREE) == {99}


def holder(name, acting="", start=None, end=None):
    return Official(name=name, acting=acting, start=start, end=end)


def test_plh_before_plt_before_the_definitive_holder():
    definitive = holder("DEFINITIF", start=datetime.date(2020, 1, 1))
    plt = holder("PLT", Official.PLT, datetime.date(2026, 12, 1), datetime.date(2026, 12, 31))
    plh = holder("PLH", Official.PLH, datetime.date(2026, 12, 10), datetime.date(2026, 12, 12))

    assert acting_holder([definitive]) is definitive
    assert acting_holder([definitive, plt]) is plt
    assert acting_holder([plt, plh, definitive]) is plh
    assert acting_holder([]) is None
