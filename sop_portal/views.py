from sop_portal.middleware import error_page


def csrf_failure(request, reason=""):
    """Django's CSRF refusal, in Indonesian (settings.CSRF_FAILURE_VIEW)."""
    return error_page(
        request,
        403,
        "Formulir kedaluwarsa",
        "Formulir ini tidak dapat dikirim karena token keamanannya tidak ada atau sudah kedaluwarsa "
        "(misalnya halaman dibuka terlalu lama, atau cookie diblokir). Muat ulang halaman, lalu kirim lagi.",
    )
