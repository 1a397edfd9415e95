"""The agency's books of letters: buku agenda surat masuk and buku register surat keluar (docs/documents.md)."""

from contextlib import nullcontext

import tablib
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format

from agencies import org
from cases.models import Case, IssuedDocument
from cases.views import INTERNAL_DESKS, desk_required
from sop_portal import spreadsheets
from sop_portal.routers import reading_from_replica


def _from_replica_if_csv(request):
    """The CSV download of a book is an export: read from the replica, if there is one. The page
    stays on the primary (a letter just numbered is looked up there)."""
    return reading_from_replica() if request.GET.get("format") == "csv" else nullcontext()


def _year(request):
    value = request.GET.get("tahun", "")
    return int(value) if value.isdecimal() and 2000 <= int(value) <= 2100 else timezone.localdate().year


def _csv(rows, header, filename):
    """The rows as CSV for Excel (BOM, no cell a formula: sop_portal/spreadsheets.py)."""
    content = spreadsheets.CSV().export_data(tablib.Dataset(*rows, headers=header))
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def outgoing_rows(agency, year, units=None):
    """Every numbered document of the agency in the year, in number order: the buku register surat keluar
    (of the units `units`, a scope of agencies.org; None: the whole agency)."""
    documents = (
        IssuedDocument.objects.filter(
            org.scope_q(units, "case__sop__org_unit_id"), case__agency=agency, issued_at__year=year
        )
        .exclude(status=IssuedDocument.DRAFT)
        .select_related("case__applicant", "template", "replaced_by")
        .order_by("issued_at", "id")
    )
    for doc in documents:
        yield {
            "document": doc,
            "number": doc.number,
            "date": date_format(timezone.localtime(doc.issued_at), "j F Y"),
            "kind": doc.template.get_kind_display(),
            "title": doc.title,
            "to": doc.case.applicant.name if doc.template.kind == "penolakan" else (doc.case.destination or "—"),
            "case": doc.case.number,
            "signer": doc.signer.get("name", ""),
            "status": doc.get_status_display() + (f" → {doc.replaced_by.number}" if doc.replaced_by else ""),
        }


@desk_required(*INTERNAL_DESKS)
def outgoing_register(request):
    year, agency = _year(request), request.user.agency
    units = org.visible_units(request.user)
    with _from_replica_if_csv(request):
        rows = list(outgoing_rows(agency, year, units))
    if request.GET.get("format") == "csv":
        header = ["Nomor", "Tanggal", "Jenis", "Perihal", "Tujuan", "Nomor registrasi", "Penanda tangan", "Status"]
        keys = ["number", "date", "kind", "title", "to", "case", "signer", "status"]
        return _csv([[row[k] for k in keys] for row in rows], header, f"surat-keluar-{agency.slug}-{year}.csv")
    return render(request, "cases/register_outgoing.html", {"rows": rows, "year": year})


def incoming_rows(agency, year, units=None):
    cases = (
        Case.objects.filter(org.scope_q(units), agency=agency, agenda_year=year, agenda_number__isnull=False)
        .select_related("sop")
        .order_by("agenda_number")
    )
    for case in cases:
        yield {
            "case": case,
            "agenda": f"{case.agenda_number}/{case.agenda_year}",
            "received": date_format(timezone.localtime(case.registered_at), "j F Y") if case.registered_at else "",
            "number": case.incoming_number,
            "date": date_format(case.incoming_date, "j F Y") if case.incoming_date else "",
            "sender": case.incoming_sender,
            "subject": case.incoming_subject or case.sop.name,
            "registration": case.number,
        }


@desk_required(*INTERNAL_DESKS)
def agenda_book(request):
    year, agency = _year(request), request.user.agency
    units = org.visible_units(request.user)
    with _from_replica_if_csv(request):
        rows = list(incoming_rows(agency, year, units))
    if request.GET.get("format") == "csv":
        header = ["Nomor agenda", "Diterima", "Nomor surat", "Tanggal surat", "Pengirim", "Perihal", "Nomor registrasi"]
        keys = ["agenda", "received", "number", "date", "sender", "subject", "registration"]
        return _csv([[row[k] for k in keys] for row in rows], header, f"agenda-surat-masuk-{agency.slug}-{year}.csv")
    return render(request, "cases/register_incoming.html", {"rows": rows, "year": year})
