from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render

from sop_catalog import selectors
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


def _get_sop(slug, version=None):
    try:
        return selectors.sop_for_display(slug=slug, version=version, light=True)
    except SOP.DoesNotExist as exc:
        raise Http404("SOP tidak ditemukan.") from exc


def sop_detail(request, slug, version=None):
    sop = _get_sop(slug, version)
    return render(request, "sop_catalog/detail.html", {"sop": sop, "sop_form": cached_sop_form(sop)})


@public_rate_limit("sop-pdf")
def sop_pdf(request, slug):
    sop = _get_sop(slug)
    response = HttpResponse(cached_sop_pdf(sop), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="SOP-{sop.slug}.pdf"'
    return response
