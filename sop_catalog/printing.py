"""The SOP on paper: the context shared by the page and the PDF, and the PDF itself."""

import functools
import os
import threading

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from sop_catalog.flowchart import format_standard, layout_flow, total_time
from sop_catalog.selectors import related_links

SOP_CSS = settings.BASE_DIR / "static" / "css" / "sop-form.css"
PDF_CSS = settings.BASE_DIR / "templates" / "documents" / "sop.css"
MAX_LAYOUT_PASSES = 4


def stylesheet(path):
    """The parsed WeasyPrint stylesheet of a file, parsed again only when the file changes (a letter's
    CSS took about 14 ms to parse, on every PDF)."""
    return _parsed_stylesheet(str(path), os.stat(path).st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _parsed_stylesheet(path, mtime_ns):
    # WeasyPrint takes ~2 s to import: only the processes that render pay for it.
    from weasyprint import CSS  # noqa: PLC0415

    return CSS(filename=path)


_per_thread = threading.local()


def font_config():
    """WeasyPrint's font configuration, kept per thread instead of made for each PDF: making one loads
    the Fontconfig configuration and a new Pango font map, whose fonts are then loaded again (about a
    tenth of a letter's rendering). The PDFs are the same byte for byte. Per thread: a Pango font map
    is not thread-safe, and the signing tests render in threads."""
    config = getattr(_per_thread, "font_config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration  # noqa: PLC0415

        config = _per_thread.font_config = FontConfiguration()
    return config


def sop_context(sop, breaks=None):
    """Everything the paper form shows. `breaks` maps flow order -> step numbers opening a page."""
    breaks = breaks or {}
    roles = list(sop.roles.all())
    links = related_links(sop)
    flows = []
    for flow in sop.flows.all():
        steps = list(flow.steps.all())
        for step in steps:
            step.standard = format_standard(step)
        flows.append(
            {
                "flow": flow,
                "rows": layout_flow(steps, roles, breaks=breaks.get(flow.order, ())),
                "total": total_time(steps),
            }
        )
    related = [{"text": item.text, "sop": links.get(item.target_slug)} for item in sop.related_sops.all()]
    return {"sop": sop, "roles": roles, "flows": flows, "related": related}


def _row_pages(document):
    """(flow order, step no) -> index of the first page the step's row appears on."""
    seen = {}
    for index, page in enumerate(document.pages):
        stack = [page._page_box]
        while stack:
            box = stack.pop()
            element = getattr(box, "element", None)
            if element is not None and element.get("data-row"):
                seen.setdefault(element.get("data-row"), index)
            stack.extend(getattr(box, "children", ()))
    pages = {}
    for key, index in seen.items():
        flow, step = key.split(":")
        pages[(int(flow), int(step))] = index
    return pages


def _breaks_from(pages):
    breaks = {}
    for (flow, step), index in sorted(pages.items()):
        previous = pages.get((flow, step - 1))
        if previous is not None and index > previous:
            breaks.setdefault(flow, set()).add(step)
    return breaks


def render_sop_pdf(sop, *, base_url=None):
    """Landscape PDF of the SOP form, with off-page connectors where the step table breaks.

    WeasyPrint lays the document out; where a flow's table continues on a new page the
    pentagon connectors are added and the layout is repeated until the breaks are stable.
    """
    # WeasyPrint takes ~2 s to import: only the processes that render pay for it.
    from weasyprint import HTML  # noqa: PLC0415

    stylesheets = [stylesheet(SOP_CSS), stylesheet(PDF_CSS)]
    breaks = {}
    document = None
    for _ in range(MAX_LAYOUT_PASSES):
        html = render_to_string("documents/sop.html", {**sop_context(sop, breaks), "pdf": True})
        document = HTML(string=html, base_url=base_url or str(settings.BASE_DIR)).render(
            stylesheets=stylesheets, font_config=font_config()
        )
        found = _breaks_from(_row_pages(document))
        if found == breaks:
            break
        breaks = found
    return document.write_pdf()


def _stamp(sop):
    return int(sop.updated_at.timestamp() * 1_000_000) if sop.updated_at else 0


def _cache_path(sop):
    return settings.SOP_PDF_CACHE_DIR / f"{sop.pk}-{sop.slug}-v{sop.version}-{_stamp(sop)}.pdf"


def _full(sop):
    """The SOP with everything its form shows (`sop` may be a row read with `.only()`)."""
    from sop_catalog.selectors import sop_with_everything  # noqa: PLC0415  (the selectors import this module)

    return sop_with_everything().get(pk=sop.pk)


def cached_sop_pdf(sop):
    """The public PDF of this SOP version, rendered once and kept on disk (every worker shares it).

    `sop` needs only its pk, slug, version and updated_at: the rest is read only to render. Changing
    the SOP or any of its parts raises its updated_at and removes its file (sop_catalog/signals.py).
    """
    path = _cache_path(sop)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    content = render_sop_pdf(_full(sop), base_url=settings.SITE_URL + "/")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.part")
    partial.write_bytes(content)
    os.replace(partial, path)
    return content


PAGE_TIMEOUT = 7 * 24 * 60 * 60


def cached_sop_form(sop):
    """The HTML of the SOP's paper form on its public page, rendered once per version and change.

    Keyed by the SOP's pk and updated_at, which every change to the SOP or a part raises
    (sop_catalog/signals.py): no cached page outlives a change, on any worker.
    """
    key = f"sop-form:{sop.pk}:{_stamp(sop)}"
    html = cache.get(key)
    if html is None:
        html = render_to_string("sop_catalog/_sop_form.html", sop_context(_full(sop)))
        cache.set(key, html, PAGE_TIMEOUT)
    return mark_safe(html)  # rendered by our own template, which escapes


def forget_sop_pdf(sop_id):
    for path in settings.SOP_PDF_CACHE_DIR.glob(f"{sop_id}-*.pdf"):
        path.unlink(missing_ok=True)
