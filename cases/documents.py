"""PDFs of the front desk, rendered with WeasyPrint from templates/documents/."""

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from agencies.desks import DESK_LABELS
from sop_catalog.printing import font_config, stylesheet
from sop_catalog.selectors import total_time_of

CSS = settings.BASE_DIR / "templates" / "documents" / "letter.css"
# The layouts of documents/letter.html, read after CSS (a file, parsed once, not a <style> in the template).
NASKAH_CSS = settings.BASE_DIR / "templates" / "documents" / "naskah.css"


def qr_data_uri(url):
    return segno.make(url, error="m").svg_data_uri(scale=4, border=1)


def status_url(case):
    """The public status page; the code lets the applicant answer the satisfaction survey there."""
    return settings.SITE_URL + reverse("cases:status", args=[case.number]) + f"?kode={case.survey_code}"


def render_pdf(template, context):
    return render_pdf_with_anchor(template, context, anchor=None)[0]


def render_pdf_with_anchor(template, context, *, anchor, css=()):
    """The PDF, and where the element `id=anchor` sits on the last page: (page height, x1, y1, x2, y2),
    in CSS px from the page's top left. `css`: stylesheet files read after letter.css.

    The signature box of a final letter is drawn there by pyHanko (cases/pades.py).
    """
    # WeasyPrint takes ~2 s to import: only the processes that render pay for it.
    from weasyprint import HTML  # noqa: PLC0415

    html = render_to_string(template, {"printed_at": timezone.localtime(), **context})
    rendered = HTML(string=html, base_url=str(settings.BASE_DIR)).render(
        stylesheets=[stylesheet(path) for path in (CSS, *css)], font_config=font_config()
    )
    where = None
    if anchor:
        last = rendered.pages[-1]
        if anchor in last.anchors:
            where = (last.height, *last.anchors[anchor])
    return rendered.write_pdf(), where


def tanda_terima_pdf(case, *, see_nik):
    """`see_nik`: the reader may see whole NIK numbers (cases.privacy); otherwise they are masked."""
    url = status_url(case)
    return render_pdf(
        "documents/tanda_terima.html",
        {
            "case": case,
            "see_nik": see_nik,
            "agency": case.agency,
            "documents": [doc for doc in case.documents.all() if doc.received],
            "total_time": total_time_of(case.sop, flow=case.flow),
            "status_url": url,
            "qr": qr_data_uri(url),
        },
    )


def missing_documents_pdf(case):
    return render_pdf(
        "documents/kekurangan_berkas.html",
        {
            "case": case,
            "agency": case.agency,
            "missing": case.required_documents_missing(),
            "status_url": status_url(case),
            "qr": qr_data_uri(status_url(case)),
        },
    )


def disposition_pdf(disposition):
    case = disposition.case
    return render_pdf(
        "documents/lembar_disposisi.html",
        {
            "case": case,
            "agency": case.agency,
            "disposition": disposition,
            "from_label": DESK_LABELS.get(disposition.from_desk, disposition.from_desk),
            "to_label": DESK_LABELS.get(disposition.to_desk, disposition.to_desk),
            "all_instructions": [(text, text in disposition.instructions) for text in type(disposition).INSTRUCTIONS],
        },
    )


def rejection_letter_pdf(case):
    """The notice of a rejection, sealed with the agency's e-seal when it signs with its own keys."""
    pdf, anchor = render_pdf_with_anchor(
        "documents/surat_penolakan.html",
        {"case": case, "agency": case.agency, "status_url": status_url(case), "qr": qr_data_uri(status_url(case))},
        anchor="kotak-ttd",
    )
    from cases import pades  # noqa: PLC0415 (pades imports the rules, which import the models)

    return pades.seal_local(pdf, agency=case.agency, anchor=anchor, reason=f"Pemberitahuan {case.number}")
