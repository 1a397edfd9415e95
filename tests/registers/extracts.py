"""Generated register extracts that look like the real ones: Indonesian headers, numbers as the
spreadsheets hold them (dots, spaces, floats), and a few bad rows."""

import csv
import random
from pathlib import Path

from openpyxl import Workbook

DTKS_HEADERS = [
    "No",
    "NIK ART",
    "No KK",
    "Nama ART",
    "Alamat",
    "Desa/Kelurahan",
    "Kecamatan",
    "Desil Nasional",
    "Keterangan",
]
PBI_HEADERS = ["NO", "NOKK", "NIK", "NAMA PESERTA", "ALAMAT", "KECAMATAN"]
DISTRICTS = ["Lumajang", "Sukodono", "Tempeh", "Pasirian", "Candipuro", "Yosowilangun"]
VILLAGES = ["Tompokersan", "Citrodiwangsan", "Jogotrunan", "Kepuharjo", "Sumberejo", "Klakah"]
NAMES = ["Siti Aminah", "Suparman", "Sri Wahyuni", "Mohammad Rofiq", "Tumini", "Slamet Riyadi", "Nur Hayati"]


def nik(n, *, female=False, kecamatan=1):
    """A NIK that passes the offline check: Lumajang (35 08), a real date, serial n."""
    day = (n % 28) + 1 + (40 if female else 0)
    month = (n // 28) % 12 + 1
    return f"3508{kecamatan:02d}{day:02d}{month:02d}{(n // 336) % 100:02d}{n % 9999 + 1:04d}"


def kk(n):
    return f"350801{(n % 28) + 1:02d}01{n % 100:02d}{n % 9999 + 1:04d}"


def dtks_rows(count, *, seed=1, start=0):
    """(row dict, nik, kk) per household member; households of 1–4 members share one KK."""
    rng = random.Random(seed)
    rows = []
    member = start
    household = start
    while len(rows) < count:
        household += 1
        for _ in range(rng.randint(1, 4)):
            if len(rows) >= count:
                break
            member += 1
            rows.append(
                {
                    "No": len(rows) + 1,
                    "NIK ART": nik(member, female=rng.random() < 0.5),
                    "No KK": kk(household),
                    "Nama ART": rng.choice(NAMES).upper(),
                    "Alamat": f"Dusun Krajan RT {rng.randint(1, 9):03d}/RW {rng.randint(1, 5):03d}",
                    "Desa/Kelurahan": rng.choice(VILLAGES).upper(),
                    "Kecamatan": rng.choice(DISTRICTS).upper(),
                    "Desil Nasional": rng.randint(1, 10),
                    "Keterangan": "",
                }
            )
    return rows


BAD_ROWS = [
    {"NIK ART": "35080115078", "Nama ART": "NIK PENDEK"},  # 11 digits
    {"NIK ART": "3508013207850001", "Nama ART": "TANGGAL SALAH"},  # day 32
    {"NIK ART": "3508011507850002", "Nama ART": "DESIL SALAH", "Desil Nasional": "11"},
    {"NIK ART": "", "No KK": "", "Nama ART": "TANPA NOMOR"},
]


def write_csv(path: Path, headers, rows, *, delimiter=";"):
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=headers, delimiter=delimiter, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


def write_xlsx(path: Path, headers, rows):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Sheet1")
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h, "") for h in headers])
    workbook.save(path)
    return path
