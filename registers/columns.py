"""Which extract column holds which register field: the header spellings we know, and the ones a
register's admin adds (Register.columns)."""

import re

# Header spellings seen in DTKS/DTSEN, PBI-JK and PBI-Daerah extracts, folded (see fold_header).
HEADERS = {
    "nik": ["nik", "no nik", "nomor nik", "nik art", "nik anggota", "nik peserta", "noktp", "no ktp",
            "nomor induk kependudukan"],
    "kk_number": ["no kk", "nokk", "nomor kk", "kk", "nomor kartu keluarga", "no kartu keluarga", "nkk"],
    "name": ["nama", "nama lengkap", "nama art", "nama peserta", "nama anggota", "nama penerima"],
    "address": ["alamat", "alamat lengkap", "alamat rumah"],
    "village": ["desa", "kelurahan", "desa kelurahan", "desa kel", "nama desa", "nama kelurahan"],
    "district": ["kecamatan", "kec", "nama kecamatan"],
    "desil": ["desil", "desil nasional", "peringkat desil", "desil kesejahteraan"],
}  # fmt: skip
ALIASES = {alias: field for field, aliases in HEADERS.items() for alias in aliases}
LABELS = {
    "nik": "NIK",
    "kk_number": "No KK",
    "name": "Nama",
    "address": "Alamat",
    "village": "Desa/Kelurahan",
    "district": "Kecamatan",
    "desil": "Desil",
}


def fold_header(header) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", str(header or "").lower()).split())


def parse_columns(text: str) -> dict[str, str]:
    """'NIK_ART_2025 = NIK' lines → {folded header: field}; ValueError (Indonesian) on a bad line."""
    by_label = {fold_header(label): field for field, label in LABELS.items()}
    aliases: dict[str, str] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        header, sep, target = line.rpartition("=")
        field = by_label.get(fold_header(target))
        if not sep or not fold_header(header) or field is None:
            raise ValueError(
                f"Baris {number} ('{line.strip()}'): tulis judul kolom = NIK, No KK, Nama, Alamat, "
                "Desa/Kelurahan, Kecamatan atau Desil."
            )
        aliases[fold_header(header)] = field
    return aliases
