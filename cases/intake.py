"""Batch intake: a kecamatan's recap spreadsheet (santunan kematian) becomes one case per row,
after a preview that flags bad NIKs and duplicates; nothing is created before it is confirmed."""

import csv
import datetime
import hashlib
import json
import re
import tempfile
import zipfile
from pathlib import Path

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from agencies import org
from agencies.desks import FRONT_DESK
from cases import formats, services
from cases.crypto import blind_index
from cases.models import Case, Person, RecapJob
from cases.nik import nik_problems, normalize_number
from cases.rules import TransitionRefused
from registers.importing import is_blank, read_rows
from sop_catalog.models import SOP

HEADERS = {
    "deceased_name": ["nama almarhum", "nama almarhumah", "nama almarhum ah", "almarhum", "nama yang meninggal",
                      "nama meninggal", "nama jenazah"],
    "deceased_nik": ["nik almarhum", "nik almarhumah", "nik almarhum ah", "nik yang meninggal", "nik jenazah"],
    "death_date": ["tanggal meninggal", "tgl meninggal", "tanggal kematian", "tgl kematian", "tgl wafat"],
    "heir_name": ["nama ahli waris", "ahli waris"],
    "heir_nik": ["nik ahli waris", "nik waris"],
    "relation": ["hubungan", "hubungan keluarga", "hubungan dengan almarhum", "hubungan ahli waris"],
    "address": ["alamat", "alamat ahli waris"],
    "village": ["desa", "kelurahan", "desa kelurahan", "desa kel"],
    "phone": ["no hp", "nomor hp", "no telp", "telepon", "hp", "no hp ahli waris"],
}  # fmt: skip
ALIASES = {alias: field for field, aliases in HEADERS.items() for alias in aliases}
REQUIRED = {"deceased_name": "Nama almarhum", "deceased_nik": "NIK almarhum", "death_date": "Tanggal meninggal",
            "heir_name": "Nama ahli waris", "heir_nik": "NIK ahli waris"}  # fmt: skip
MONTHS = {month.lower(): number for number, month in enumerate(formats.MONTHS, start=1)}
SALT = "sop-portal recap intake v1"
MAX_AGE = 3600


class RecapRefused(Exception):
    """The file cannot be read as a recap; the message says why (Indonesian)."""


def _fold(header):
    return " ".join(re.sub(r"[^a-z0-9]+", " ", str(header or "").lower()).split())


# A kecamatan recap is a few hundred rows; these bounds keep a hostile file from filling memory.
MAX_RECAP_ROWS = 2000
MAX_RECAP_COLUMNS = 60
MAX_XLSX_UNPACKED = 50 * 2**20
UNREADABLE = "Berkas rekap tidak dapat dibaca: rusak, atau bukan CSV (UTF-8) maupun XLSX."


def read_recap(upload):
    """The recap's rows as dicts of our fields (strings), from an uploaded CSV or XLSX."""
    suffix = Path(upload.name).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise RecapRefused("Rekap harus berkas CSV atau XLSX.")
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
        handle.flush()
        path = Path(handle.name)
        try:
            if suffix == ".xlsx":
                _check_unpacked_size(path)
            return _recap_rows(read_rows(path))
        except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, csv.Error, ValueError, OSError) as exc:
            raise RecapRefused(UNREADABLE) from exc


def _check_unpacked_size(path):
    """An XLSX is a zip: refuse one that unpacks to far more than any recap (a zip bomb)."""
    with zipfile.ZipFile(path) as archive:
        if sum(member.file_size for member in archive.infolist()) > MAX_XLSX_UNPACKED:
            raise RecapRefused("Berkas rekap terlalu besar setelah dibuka; kirim rekap per kecamatan.")


def _recap_rows(rows):
    headers = next(rows, None) or []
    mapping = {}
    for index, header in enumerate(headers[:MAX_RECAP_COLUMNS]):
        field = ALIASES.get(_fold(header))
        if field and field not in mapping.values():
            mapping[index] = field
    missing = [label for field, label in REQUIRED.items() if field not in mapping.values()]
    if missing:
        raise RecapRefused(f"Kolom wajib tidak ditemukan: {', '.join(missing)}.")
    result = []
    for values in rows:
        if is_blank(values[:MAX_RECAP_COLUMNS]):
            continue
        if len(result) == MAX_RECAP_ROWS:
            raise RecapRefused(f"Rekap lebih dari {MAX_RECAP_ROWS} baris; bagi menjadi beberapa berkas.")
        result.append({field: _text(values[i]) if i < len(values) else "" for i, field in mapping.items()})
    return result


def _text(value):
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = "" if value is None else str(value).strip()
    return text[:-2] if re.fullmatch(r"\d{10,}\.0", text) else text


def parse_date(text):
    text = text.strip().lower()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    words = text.split()
    if len(words) == 3 and words[1] in MONTHS and words[0].isdigit() and words[2].isdigit():
        try:
            return datetime.date(int(words[2]), MONTHS[words[1]], int(words[0]))
        except ValueError:
            return None
    return None


# The longest value each recap field may hold (the Person fields it fills).
LENGTHS = {"deceased_name": ("Nama almarhum", 200), "heir_name": ("Nama ahli waris", 200),
           "address": ("Alamat", 300), "village": ("Desa", 100), "phone": ("No HP", 30)}  # fmt: skip


def _row_problems(row, day):
    problems = [f"{label} kosong." for field, label in REQUIRED.items() if not row[field]]
    for field, label in (("deceased_nik", "NIK almarhum"), ("heir_nik", "NIK ahli waris")):
        if row[field]:
            problems += [f"{label}: {p}" for p in nik_problems(row[field])]
    if row["death_date"] and day is None:
        problems.append(f"Tanggal meninggal '{row['death_date']}' tidak terbaca (tulis 31/12/2026).")
    elif day and day > datetime.date.today():
        problems.append("Tanggal meninggal di masa depan.")
    problems += [
        f"{label} lebih dari {limit} huruf." for field, (label, limit) in LENGTHS.items() if len(row[field]) > limit
    ]
    return problems


def _flag_earlier_cases(*, agency, sop, checked):
    """An almarhum already the beneficiary of this service is flagged (on every row that names him);
    an ahli waris already the applicant of it gets a note that does not stop the row."""
    by_deceased, by_heir = {}, {}
    for c in checked:
        by_deceased.setdefault(blind_index(c["row"]["deceased_nik"]), []).append(c)
        by_heir.setdefault(blind_index(c["row"]["heir_nik"]), []).append(c)
    by_deceased.pop(None, None)
    by_heir.pop(None, None)
    cases = Case.objects.filter(agency=agency, sop__slug=sop.slug).exclude(state=Case.CANCELLED)
    earlier = cases.filter(beneficiary__nik_hash__in=list(by_deceased)).values_list("beneficiary__nik_hash", "number")
    for digest, number in earlier:
        for c in by_deceased[digest]:
            c["problems"].append(f"Almarhum ini sudah menjadi penerima pada permohonan {number or 'konsep'}.")
    heirs = cases.filter(applicant__nik_hash__in=list(by_heir)).values_list("applicant__nik_hash", "number")
    for digest, number in heirs:
        for c in by_heir[digest]:
            c["notes"].append(f"Ahli waris ini juga pemohon pada permohonan {number or 'konsep'} (almarhum lain).")


def check_rows(*, agency, sop, rows):
    """Each row with its problems (Indonesian) and whether a case will be made of it."""
    checked = []
    seen = {}
    for number, raw in enumerate(rows, start=2):
        row = {field: str(raw.get(field, "")) for field in HEADERS}
        row["deceased_nik"] = normalize_number(row["deceased_nik"])
        row["heir_nik"] = normalize_number(row["heir_nik"])
        day = parse_date(row["death_date"]) if row["death_date"] else None
        problems = _row_problems(row, day)
        key = row["deceased_nik"] or f"{row['deceased_name'].lower()}|{row['death_date']}"
        if key in seen:
            problems.append(f"Almarhum yang sama sudah ada di baris {seen[key]}.")
        else:
            seen[key] = number
        checked.append({"number": number, "row": row, "death_date": day, "problems": problems, "notes": []})
    _flag_earlier_cases(agency=agency, sop=sop, checked=checked)
    for c in checked:
        c["ok"] = not c["problems"]
    return checked


def sign(*, user, sop, district, rows):
    return signing.dumps({"sop": sop.pk, "district": district, "rows": rows}, salt=f"{SALT}:{user.pk}", compress=True)


def unsign(*, user, token):
    try:
        return signing.loads(token, salt=f"{SALT}:{user.pk}", max_age=MAX_AGE)
    except signing.BadSignature as exc:
        raise RecapRefused("Pratinjau kedaluwarsa atau rusak; unggah rekap sekali lagi.") from exc


def _person(*, agency, user, nik, data):
    existing = Person.objects.filter(agency=agency, nik_hash=blind_index(nik)).first()
    return existing or services.create_person(agency=agency, user=user, data={"nik": nik, **data})


def _create_case(*, user, sop, district, checked_row):
    c, row = checked_row, checked_row["row"]
    place = {"address": row["address"], "village": row["village"], "district": district}
    heir = _person(agency=user.agency, user=user, nik=row["heir_nik"],
                   data={"name": row["heir_name"], "phone": row["phone"], **place})  # fmt: skip
    deceased = _person(
        agency=user.agency, user=user, nik=row["deceased_nik"], data={"name": row["deceased_name"], **place}
    )
    relation = f" ({row['relation']})" if row["relation"] else ""
    case = services.open_case(
        user=user, sop=sop, applicant=heir, beneficiary=deceased, channel="surat",
        purpose=(f"Santunan kematian almarhum/almarhumah {deceased.name}, meninggal {c['death_date']:%d-%m-%Y}; "
                 f"ahli waris {heir.name}{relation}. Rekap Kecamatan {district}, baris {c['number']}."),
    )  # fmt: skip
    for document in case.documents.all():
        services.receive_document(document=document, user=user)
    return services.register_case(case=case, user=user)


# Rows turned into cases per request: a chunk stays well under a second, so the page can show progress.
CHUNK = 20


# A job not finished within a day is closed: its waiting rows (NIKs) are not kept longer.
JOB_LIFETIME = datetime.timedelta(hours=24)


def _usable_sop(sop):
    """The version of the SOP rows are opened on now: this one, or the current version of the same
    service (an admin may publish a new version while a job runs); None when it is withdrawn."""
    if sop.is_current and sop.status == SOP.ACTIVE:
        return sop
    return SOP.objects.filter(agency=sop.agency, slug=sop.slug, is_current=True, status=SOP.ACTIVE).first()


def start_job(*, user, token):
    """The job of a confirmed preview: made once per preview (a second confirm finds the first job)."""
    data = unsign(user=user, token=token)
    sop = SOP.objects.filter(pk=data["sop"], agency=user.agency).first()
    sop = sop and _usable_sop(sop)
    if sop is None:
        raise RecapRefused("Layanan rekap ini tidak sedang berlaku; tidak ada permohonan yang dibuat.")
    if not org.serves(user, FRONT_DESK, sop.org_unit_id):
        raise RecapRefused(services.NOT_MY_FRONT_DESK)
    digest = hashlib.sha256(token.encode()).hexdigest()
    job, _ = RecapJob.objects.get_or_create(
        token_digest=digest,
        defaults={"agency": user.agency, "user": user, "sop": sop, "district": data["district"],
                  "rows_data": json.dumps(data["rows"]), "total": len(data["rows"])},
    )  # fmt: skip
    if job.user_id != user.pk:
        raise RecapRefused("Pratinjau kedaluwarsa atau rusak; unggah rekap sekali lagi.")
    return job


def jobs_of(user):
    return RecapJob.objects.filter(agency=user.agency, user=user)


def _skip(job, c, problems):
    # NIK digits (the birth-date part quoted by the NIK check) are not kept in the job's record.
    kept = [re.sub(r"\d{4,}", "…", p) if p.startswith("NIK") else p for p in problems]
    job.skipped.append({"number": c["number"], "name": c["row"]["deceased_name"], "problems": kept})


def _finish(job, reason=None):
    if reason:
        rows = json.loads(job.rows_data or "[]")
        for number in range(job.done, job.total):
            name = str(rows[number].get("deceased_name", "")) if number < len(rows) else ""
            job.skipped.append({"number": number + 2, "name": name, "problems": [reason]})
        job.done = job.total
    job.finished_at = timezone.now()
    job.rows_data = ""


def _process_row(job, user, sop, c):
    if not c["ok"]:
        _skip(job, c, c["problems"])
        return
    try:
        with transaction.atomic():
            case = _create_case(user=user, sop=sop, district=job.district, checked_row=c)
    except (ValidationError, TransitionRefused) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        _skip(job, c, [f"Tidak dapat dibuat: {' '.join(messages)}"])
    else:
        job.created_cases.append(case.pk)


@transaction.atomic
def process_next(*, job_id, user, size=None):
    """Turn the job's next rows into cases (checked again against all rows and the database now);
    a row that cannot be made is listed with its reason and the job goes on."""
    job = jobs_of(user).select_for_update().select_related("sop").get(pk=job_id)
    if job.finished_at:
        return job
    sop = _usable_sop(job.sop)
    if timezone.now() - job.started_at > JOB_LIFETIME:
        _finish(job, "Tidak dibuat: rekap tidak diselesaikan dalam 24 jam; unggah ulang baris ini.")
    elif sop is None:
        _finish(job, "Tidak dibuat: layanan ini tidak berlaku lagi.")
    elif not org.serves(user, FRONT_DESK, sop.org_unit_id):  # the front desk was handed over meanwhile
        _finish(job, f"Tidak dibuat: {services.NOT_MY_FRONT_DESK}")
    else:
        size = size or CHUNK
        rows = json.loads(job.rows_data or "[]")
        for c in check_rows(agency=job.agency, sop=sop, rows=rows)[job.done : job.done + size]:
            _process_row(job, user, sop, c)
        job.done = min(job.done + size, job.total)
        if job.done >= job.total:
            _finish(job)
    job.save()
    return job


def close_stale_jobs(now=None):
    """Close every job older than JOB_LIFETIME (run by `manage.py close_recap_jobs`); returns how many."""
    now = now or timezone.now()
    closed = 0
    for pk in RecapJob.objects.filter(finished_at__isnull=True, started_at__lt=now - JOB_LIFETIME).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            job = RecapJob.objects.select_for_update().get(pk=pk)
            if job.finished_at is None:
                _finish(job, "Tidak dibuat: rekap tidak diselesaikan dalam 24 jam; unggah ulang baris ini.")
                job.save()
                closed += 1
    return closed
