"""Offline checks of an Indonesian NIK (Nomor Induk Kependudukan) and KK number.

A NIK is 16 digits: PP KK CC DD MM YY SSSS — province, regency, district of first
registration, date of birth (40 added to the day for women), and a serial that is never 0000.
"""

import datetime
import re

# Province codes of Kemendagri, including the Papua codes from the 2022 split (91–96):
# a NIK keeps the code of the region where it was first issued.
PROVINCES = {
    "11": "Aceh",
    "12": "Sumatera Utara",
    "13": "Sumatera Barat",
    "14": "Riau",
    "15": "Jambi",
    "16": "Sumatera Selatan",
    "17": "Bengkulu",
    "18": "Lampung",
    "19": "Kepulauan Bangka Belitung",
    "21": "Kepulauan Riau",
    "31": "DKI Jakarta",
    "32": "Jawa Barat",
    "33": "Jawa Tengah",
    "34": "DI Yogyakarta",
    "35": "Jawa Timur",
    "36": "Banten",
    "51": "Bali",
    "52": "Nusa Tenggara Barat",
    "53": "Nusa Tenggara Timur",
    "61": "Kalimantan Barat",
    "62": "Kalimantan Tengah",
    "63": "Kalimantan Selatan",
    "64": "Kalimantan Timur",
    "65": "Kalimantan Utara",
    "71": "Sulawesi Utara",
    "72": "Sulawesi Tengah",
    "73": "Sulawesi Selatan",
    "74": "Sulawesi Tenggara",
    "75": "Gorontalo",
    "76": "Sulawesi Barat",
    "81": "Maluku",
    "82": "Maluku Utara",
    "91": "Papua",
    "92": "Papua Barat",
    "93": "Papua Selatan",
    "94": "Papua Tengah",
    "95": "Papua Pegunungan",
    "96": "Papua Barat Daya",
}
MALE = "L"
FEMALE = "P"
DIGITS16 = re.compile(r"^\d{16}$")


def normalize_number(value: str | None) -> str:
    """Drop spaces, dots and dashes that people type inside a NIK or KK number."""
    return re.sub(r"[\s.\-]", "", value or "")


def nik_problems(nik: str, *, birth_date: datetime.date | None = None, sex: str | None = None) -> list[str]:
    """Indonesian messages, one per wrong part of `nik`; empty when it is valid.

    When `birth_date` and `sex` are given, the date part must agree with them.
    """
    if not DIGITS16.match(nik):
        count = len(nik)
        if not nik.isdigit():
            return ["NIK hanya boleh berisi angka."]
        return [f"NIK harus 16 angka; yang diisi {count} angka."]
    problems = []
    if nik[:2] not in PROVINCES:
        problems.append(f"Kode provinsi NIK ({nik[:2]}, angka ke-1–2) tidak dikenal.")
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    nik_sex = FEMALE if day > 40 else MALE
    if day > 40:
        day -= 40
    nik_date = _date_from(day, month, year, birth_date)
    if nik_date is None:
        problems.append(
            f"Tanggal lahir dalam NIK (angka ke-7–12: {nik[6:12]}) bukan tanggal yang ada; "
            "untuk perempuan tanggalnya ditambah 40."
        )
    if nik[12:] == "0000":
        problems.append("Nomor urut NIK (angka ke-13–16) tidak boleh 0000.")
    if nik_date is not None and birth_date is not None:
        if (nik_date.day, nik_date.month, nik_date.year % 100) != (
            birth_date.day,
            birth_date.month,
            birth_date.year % 100,
        ):
            problems.append(
                f"Tanggal lahir dalam NIK ({nik_date.day:02d}-{nik_date.month:02d}-{nik[10:12]}) "
                f"tidak sama dengan tanggal lahir yang diisi ({birth_date:%d-%m-%Y})."
            )
    if nik_date is not None and sex in (MALE, FEMALE) and sex != nik_sex:
        expected = "perempuan (tanggal + 40)" if nik_sex == FEMALE else "laki-laki"
        problems.append(f"Jenis kelamin tidak sesuai NIK: menurut angka ke-7–8 NIK ini milik {expected}.")
    return problems


def _date_from(day: int, month: int, yy: int, birth_date: datetime.date | None) -> datetime.date | None:
    century = birth_date.year - birth_date.year % 100 if birth_date else None
    candidates = [century] if century is not None else [2000, 1900]
    for base in candidates:
        try:
            value = datetime.date(base + yy, month, day)
        except ValueError:
            continue
        if birth_date is not None or value <= datetime.date.today():
            return value
    return None


def kk_problems(kk: str) -> list[str]:
    if not DIGITS16.match(kk):
        if not kk.isdigit():
            return ["Nomor KK hanya boleh berisi angka."]
        return [f"Nomor KK harus 16 angka; yang diisi {len(kk)} angka."]
    if kk[:2] not in PROVINCES:
        return [f"Kode provinsi nomor KK ({kk[:2]}) tidak dikenal."]
    return []


def mask(number: str | None) -> str:
    """3508**********01 — for desks that do not need the whole number."""
    if not number:
        return ""
    return number[:4] + "*" * (len(number) - 6) + number[-2:]


def nik_facts(nik: str) -> tuple[datetime.date, str] | None:
    """(date of birth, sex) that a valid NIK encodes; None when the NIK has a problem.

    The two-digit year is read as the latest century that does not put the birth in the future.
    """
    if nik_problems(nik):
        return None
    day = int(nik[6:8])
    sex = FEMALE if day > 40 else MALE
    birth_date = _date_from(day - 40 if day > 40 else day, int(nik[8:10]), int(nik[10:12]), None)
    return (birth_date, sex) if birth_date else None
