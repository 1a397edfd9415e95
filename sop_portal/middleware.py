from django.conf import settings
from django.http import HttpResponseBadRequest
from django.shortcuts import render


class RefuseNullCharactersMiddleware:
    """A NUL character in a query or form value is never meant: refuse the request (PostgreSQL would fail)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in value for data in (request.GET, request.POST) for values in data.lists() for value in values[1]
        ):
            return HttpResponseBadRequest(
                b"Permintaan berisi karakter yang tidak sah (NUL). Periksa isian Anda.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


def error_page(request, status, title, message):
    """A plain Indonesian error page (400, 403 CSRF, 413, 429)."""
    return render(request, "error.html", {"title": title, "message": message}, status=status)


class LimitRequestSizeMiddleware:
    """Refuse a request body larger than settings.REQUEST_MAX_MB before it is read (413)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.REQUEST_MAX_MB * 1024 * 1024:
            return error_page(
                request,
                413,
                "Berkas terlalu besar",
                f"Kiriman Anda {length / (1024 * 1024):.1f} MB; batasnya {settings.REQUEST_MAX_MB} MB.",
            )
        return self.get_response(request)
