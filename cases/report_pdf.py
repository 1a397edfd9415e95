"""The compliance report PDF, rendered by the task worker and kept in the default storage.

A request for it finds the file, or queues its rendering (once per file) and shows a page that
reloads itself until the file is there. The file name holds the agency, the period, the SOP and a
10-minute stamp, so figures of a period that reaches today are at most ten minutes old (plus the
replica's delay where the reports read a replica: sop_portal/routers.py).
"""

import datetime
import hashlib

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from agencies.models import Agency, Unit
from cases import charts, documents, reports
from cases.models import SurveyResponse
from sop_portal.routers import reading_from_replica

FOLDER = "laporan"
STAMP_MINUTES = 10
KEEP = datetime.timedelta(days=1)


def share_chart(groups, title):
    return charts.bar_chart(
        [
            (
                group.label,
                group.share_within,
                f"{group.share_within:.0%} dari {group.with_standard}" if group.share_within is not None else "—",
            )
            for group in groups
        ],
        maximum=1,
        title=title,
    )


@reading_from_replica()  # the page and the PDF task read the figures from the replica, if there is one
def report_context(*, agency, start, end, sop_slug="", units=None):
    figures = reports.compliance(agency=agency, start=start, end=end, sop_slug=sop_slug, units=units)
    return {
        "start": start,
        "end": end,
        "sop": sop_slug,
        "figures": figures,
        "sop_chart": share_chart(figures["sops"], "Langkah sesuai standar waktu per layanan"),
        "desk_chart": share_chart(figures["desks"], "Langkah sesuai standar waktu per meja"),
        "ikm": reports.ikm_per_service(agency=agency, start=start, end=end, units=units),
        "agency": agency,
        "unit_names": unit_names(units),
        "elements": SurveyResponse.ELEMENTS,
        "now": timezone.localtime(),
    }


def unit_names(units):
    """The bidang a report is limited to, for its heading ([] for the whole agency)."""
    if units is None:
        return []
    return list(Unit.objects.filter(pk__in=units, kind__in=(Unit.BIDANG, Unit.UPT)).values_list("name", flat=True))


def report_pdf_name(*, agency, start, end, sop_slug="", now=None, units=None):
    now = timezone.localtime(now)
    stamp = now.replace(minute=now.minute - now.minute % STAMP_MINUTES, second=0, microsecond=0)
    sop_part = "".join(ch for ch in sop_slug if ch.isalnum() or ch == "-")[:60] or "semua"
    # A report limited to some units is another file than the whole agency's.
    ids = ",".join(str(pk) for pk in sorted(units or ()))
    unit_part = "" if units is None else "-unit-" + hashlib.sha256(ids.encode()).hexdigest()[:16]
    return f"{FOLDER}/{agency.pk}/mutu-baku-{start}-{end}-{sop_part}{unit_part}-{stamp:%Y%m%d%H%M}.pdf"


def write_report_pdf(*, agency_id, start, end, sop_slug, path, units=None):
    """Render the report to `path` unless it is there (a task run twice renders once); drop old ones."""
    try:
        if default_storage.exists(path):
            return path
        agency = Agency.objects.get(pk=agency_id)
        content = documents.render_pdf(
            "documents/report.html",
            report_context(agency=agency, start=start, end=end, sop_slug=sop_slug, units=units),
        )
        if not default_storage.exists(path):
            default_storage.save(path, ContentFile(content))
        forget_old(agency_id)
        return path
    finally:
        cache.delete(queued_key(path))


def forget_old(agency_id):
    folder = f"{FOLDER}/{agency_id}"
    try:
        _dirs, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    limit = timezone.now() - KEEP
    for name in files:
        path = f"{folder}/{name}"
        if default_storage.get_modified_time(path) < limit:
            default_storage.delete(path)


def queued_key(path):
    return f"report-pdf-queued:{path}"


def ready_or_queue(*, agency, start, end, sop_slug="", units=None):
    """The stored path of the report PDF, or None after queuing its rendering (once per file)."""
    from cases.tasks import render_report_pdf  # noqa: PLC0415  (cases.tasks imports the notices)

    path = report_pdf_name(agency=agency, start=start, end=end, sop_slug=sop_slug, units=units)
    if default_storage.exists(path):
        return path
    if cache.add(queued_key(path), 1, timeout=300):
        scope = None if units is None else sorted(units)
        render_report_pdf.enqueue(agency.pk, start.isoformat(), end.isoformat(), sop_slug, path, scope)
    return path if default_storage.exists(path) else None
