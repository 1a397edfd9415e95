from django.http import HttpResponseBadRequest


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
