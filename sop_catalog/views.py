from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render

from sop_catalog import selectors
from sop_catalog.compare import compare
from sop_catalog.models import SOP
from sop_catalog.printing import cached_sop_form, cached_sop_pdf
from sop_portal.ratelimit import public_rate_limit


def catalog(request):
    query = request.GET.get("q", "").strip()[:200]
    agency = request.GET.get("instansi", "")
    sops = selectors.catalog_sops(query=query, agency_slug=agency)
    page = Paginator(sops, 25).get_page(request.GET.get("halaman"))
    return render(
        request,
        "sop_catalog/list.html",
        {"page": page, "query": query, "agency": agency, "agencies": selectors.catalog_agencies()},
    )


def _get_sop(slug, version=None, light=True):
    try:
        return selectors.sop_for_display(slug=slug, version=version, light=light)
    except SOP.DoesNotExist as exc:
        raise Http404("SOP tidak ditemukan.") from exc


def sop_detail(request, slug, version=None):
    sop = _get_sop(slug, version)
    versions = list(selectors.public_versions(slug).only("slug", "version", "status", "is_current"))
    return render(
        request, "sop_catalog/detail.html", {"sop": sop, "sop_form": cached_sop_form(sop), "versions": versions}
    )


@public_rate_limit("sop-pdf")
def sop_pdf(request, slug, version=None):
    sop = _get_sop(slug, version)
    response = HttpResponse(cached_sop_pdf(sop), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="SOP-{sop.slug}-v{sop.version}.pdf"'
    return response


def _version_number(value, default):
    try:
        return int(value) if value not in (None, "") else default
    except ValueError as exc:
        raise Http404("Nomor versi tidak sah.") from exc


def sop_compare(request, slug):
    """Two published versions side by side (?dari=N&ke=M; by default the previous and the current)."""
    versions = list(selectors.public_versions(slug).only("slug", "version", "status", "is_current"))
    if not versions:
        raise Http404("SOP tidak ditemukan.")
    current = next((v for v in versions if v.is_current), versions[-1])
    earlier = [v for v in versions if v.version < current.version]
    old_no = _version_number(request.GET.get("dari"), earlier[-1].version if earlier else current.version)
    new_no = _version_number(request.GET.get("ke"), current.version)
    # compare() reads every list, flow, step, actor and branch: both versions with everything prefetched.
    old = _get_sop(slug, old_no, light=False)
    new = old if new_no == old_no else _get_sop(slug, new_no, light=False)
    return render(
        request,
        "sop_catalog/compare.html",
        {"old": old, "new": new, "versions": versions, "diff": compare(old, new)},
    )
