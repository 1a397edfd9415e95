import datetime

import pytest

from cases.nik import kk_problems, mask, nik_problems, normalize_number

D = datetime.date


@pytest.mark.parametrize(
    "nik, birth_date, sex, expected",
    [
        ("3508011507850003", D(1985, 7, 15), "L", []),  # a man born 15-07-1985 in Lumajang
        ("3508015507850003", D(1985, 7, 15), "P", []),  # a woman: day + 40
        ("6271030101000001", D(2000, 1, 1), "L", []),  # Palangka Raya, born 2000
        ("9101015507850003", D(1985, 7, 15), "P", []),  # Papua, code after the 2022 split
        ("350801150785000", D(1985, 7, 15), "L", ["NIK harus 16 angka; yang diisi 15 angka."]),
        ("35080115078500031", D(1985, 7, 15), "L", ["NIK harus 16 angka; yang diisi 17 angka."]),
        ("3508O11507850003", None, None, ["NIK hanya boleh berisi angka."]),
        ("3508013102850003", None, None, ["bukan tanggal yang ada"]),  # 31 February
        ("3508017513850003", None, None, ["bukan tanggal yang ada"]),  # day 75 - 40 = 35
        ("9908011507850003", D(1985, 7, 15), "L", ["Kode provinsi NIK (99"]),
        ("3508011507850000", D(1985, 7, 15), "L", ["Nomor urut NIK (angka ke-13–16) tidak boleh 0000."]),
        ("3508011507850003", D(1985, 7, 16), "L", ["tidak sama dengan tanggal lahir yang diisi (16-07-1985)"]),
        ("3508011507850003", D(1986, 7, 15), "L", ["tidak sama dengan tanggal lahir yang diisi"]),
        ("3508011507850003", D(1985, 7, 15), "P", ["menurut angka ke-7–8 NIK ini milik laki-laki"]),
        ("3508015507850003", D(1985, 7, 15), "L", ["milik perempuan (tanggal + 40)"]),
    ],
)
def test_nik_checks(nik, birth_date, sex, expected):
    problems = nik_problems(nik, birth_date=birth_date, sex=sex)

    assert len(problems) == len(expected), problems
    for problem, fragment in zip(problems, expected, strict=True):
        assert fragment in problem


def test_several_wrong_parts_are_each_named():
    problems = nik_problems("9908013102850000")

    assert len(problems) == 3
    assert "provinsi" in problems[0] and "tanggal" in problems[1] and "urut" in problems[2]


@pytest.mark.parametrize(
    "kk, ok",
    [("3508010101090012", True), ("350801010109001", False), ("35080101010900A2", False), ("0008010101090012", False)],
)
def test_kk_numbers(kk, ok):
    assert (kk_problems(kk) == []) is ok


def test_numbers_are_typed_with_spaces_and_dots():
    assert normalize_number("3508 0115.0785-0003") == "3508011507850003"


def test_mask_keeps_the_first_four_and_last_two_digits():
    assert mask("3508011507850001") == "3508**********01"
