"""Numbers and dates in Indonesian words, as berita acara write them."""

from cases.formats import MONTHS

ONES = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan", "sepuluh", "sebelas"]
DAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]


def terbilang(n):
    """0 … 999 999 999 in words: 23 -> 'dua puluh tiga', 2026 -> 'dua ribu dua puluh enam'."""
    if n < 0:
        return "minus " + terbilang(-n)
    if n < 12:
        return ONES[n]
    if n < 20:
        return f"{ONES[n - 10]} belas"
    if n < 100:
        tens, rest = divmod(n, 10)
        return f"{ONES[tens]} puluh" + (f" {ONES[rest]}" if rest else "")
    if n < 200:
        return "seratus" + (f" {terbilang(n - 100)}" if n > 100 else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{ONES[hundreds]} ratus" + (f" {terbilang(rest)}" if rest else "")
    if n < 2000:
        return "seribu" + (f" {terbilang(n - 1000)}" if n > 1000 else "")
    if n < 1_000_000:
        thousands, rest = divmod(n, 1000)
        return f"{terbilang(thousands)} ribu" + (f" {terbilang(rest)}" if rest else "")
    if n < 1_000_000_000:
        millions, rest = divmod(n, 1_000_000)
        return f"{terbilang(millions)} juta" + (f" {terbilang(rest)}" if rest else "")
    raise ValueError(n)


def date_in_words(day):
    """'Senin tanggal dua puluh tiga bulan November tahun dua ribu dua puluh enam'."""
    return (
        f"{DAYS[day.weekday()]} tanggal {terbilang(day.day)} bulan {MONTHS[day.month - 1]} tahun {terbilang(day.year)}"
    )
