"""The recap upload page: upload, preview with flags, confirm (cases.intake does the work)."""

from django import forms
from django.contrib import messages
from django.shortcuts import render

from agencies.desks import PETUGAS
from cases import intake
from cases.views import desk_required
from sop_catalog.models import SOP


class RecapForm(forms.Form):
    sop = forms.ModelChoiceField(queryset=SOP.objects.none(), label="Layanan (SOP)")
    district = forms.CharField(label="Kecamatan pengirim rekap", max_length=100)
    file = forms.FileField(label="Berkas rekap (CSV atau XLSX)")

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        sops = SOP.objects.filter(agency=agency, is_current=True, status=SOP.ACTIVE).order_by("name")
        self.fields["sop"].queryset = sops
        self.fields["sop"].initial = sops.filter(slug__endswith="santunan-kematian").first()


@desk_required(PETUGAS)
def recap(request):
    agency = request.user.agency
    if request.method == "POST" and "token" in request.POST:
        try:
            data = intake.unsign(user=request.user, token=request.POST["token"])
            sop = SOP.objects.get(pk=data["sop"], agency=agency)
        except (intake.RecapRefused, SOP.DoesNotExist) as exc:
            messages.error(request, str(exc) if isinstance(exc, intake.RecapRefused) else "SOP tidak ditemukan.")
            return render(request, "cases/recap.html", {"form": RecapForm(agency=agency)})
        created, skipped = intake.create_cases(user=request.user, sop=sop, district=data["district"], rows=data["rows"])
        messages.success(request, f"{len(created)} permohonan dibuat dari rekap Kecamatan {data['district']}.")
        return render(request, "cases/recap_done.html", {"created": created, "skipped": skipped, "sop": sop})
    form = RecapForm(request.POST or None, request.FILES or None, agency=agency)
    if request.method == "POST" and form.is_valid():
        try:
            rows = intake.read_recap(form.cleaned_data["file"])
        except intake.RecapRefused as exc:
            form.add_error("file", str(exc))
        else:
            sop, district = form.cleaned_data["sop"], form.cleaned_data["district"]
            checked = intake.check_rows(agency=agency, sop=sop, rows=rows)
            return render(
                request,
                "cases/recap_preview.html",
                {
                    "sop": sop,
                    "district": district,
                    "checked": checked,
                    "ok_count": sum(1 for c in checked if c["ok"]),
                    "token": intake.sign(user=request.user, sop=sop, district=district, rows=rows),
                },
            )
    return render(request, "cases/recap.html", {"form": form})
