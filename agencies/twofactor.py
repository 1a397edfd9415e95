"""Two-factor login (TOTP) for every desk that signs or issues numbered documents, and admins."""

import base64

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.desks import TWO_FACTOR_DESKS

OPEN_PATHS = ("/2fa/", "/keluar/", "/masuk/", "/static/")


def needs_two_factor(user):
    return (
        settings.REQUIRE_2FA
        and user.is_authenticated
        and (user.is_superuser or any(user.has_desk(desk) for desk in TWO_FACTOR_DESKS))
    )


class RequireTwoFactorMiddleware:
    """Signed in but not verified by a second factor: only the 2FA pages and logout are open."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and needs_two_factor(user)
            and not user.is_verified()
            and not request.path.startswith(OPEN_PATHS)
        ):
            return redirect(f"{reverse('two_factor')}?next={request.get_full_path()}")
        return self.get_response(request)


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Kode 6 angka dari aplikasi autentikator",
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}),
    )

    def clean_token(self):
        token = self.cleaned_data["token"].strip()
        if not token.isdigit():
            raise forms.ValidationError("Kode hanya berisi angka.")
        return token


@login_required
def two_factor(request):
    """Set up the authenticator on first use, then ask for its code at every login."""
    user = request.user
    next_url = request.GET.get("next") or "/"
    if not next_url.startswith("/") or next_url.startswith("//"):
        next_url = "/"
    confirmed = user_has_device(user, confirmed=True)
    device = (
        TOTPDevice.objects.filter(user=user, confirmed=confirmed).first()
        if confirmed
        else TOTPDevice.objects.get_or_create(user=user, confirmed=False, defaults={"name": "Autentikator"})[0]
    )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            form.add_error("token", "Terlalu banyak kode salah; tunggu beberapa detik lalu coba lagi.")
        elif device.verify_token(form.cleaned_data["token"]):
            if not device.confirmed:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, "Verifikasi dua langkah berhasil.")
            return redirect(next_url)
        else:
            form.add_error("token", "Kode salah atau sudah kedaluwarsa. Coba kode yang sedang tampil.")
    context = {"form": form, "setup": not confirmed, "next": next_url}
    if not confirmed:
        context["qr"] = segno.make(device.config_url, error="m").svg_data_uri(scale=5)
        context["secret"] = base64.b32encode(device.bin_key).decode()
    return render(request, "registration/two_factor.html", context)
