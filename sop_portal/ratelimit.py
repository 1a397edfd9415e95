"""Per-address rate limits for the anonymous public endpoints (status, verification, survey, PDFs)."""

import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache

from sop_portal.middleware import error_page


def client_address(request):
    """The client's address; behind trusted proxies, the one they saw (settings.TRUSTED_PROXY_COUNT)."""
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if count and len(forwarded) >= count:
        return forwarded[-count]
    return request.META.get("REMOTE_ADDR") or "unknown"


def over_limit(scope, address, per_minute):
    """Count one request of `address` in this minute; True once it is over `per_minute`."""
    key = f"rate:{scope}:{address}:{int(time.time() // 60)}"
    if cache.add(key, 1, timeout=90):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=90)
            count = 1
    return count > per_minute


def public_rate_limit(scope):
    """Anonymous requests to the view: at most settings.PUBLIC_RATE_LIMIT per minute per address, then 429."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated and over_limit(
                scope, client_address(request), settings.PUBLIC_RATE_LIMIT
            ):
                response = error_page(
                    request,
                    429,
                    "Terlalu banyak permintaan",
                    "Anda membuka halaman ini terlalu sering dari alamat yang sama. Tunggu satu menit, lalu coba lagi.",
                )
                response["Retry-After"] = "60"
                return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
