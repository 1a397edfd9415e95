"""The recap upload page: upload, preview with flags, confirm, then a progress page while the
rows become cases a chunk at a time (cases.intake does the work)."""

from django import forms
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from agencies.desks import PETUGAS
from cases import intake, selectors
from cases.models import Case, RecapJob
from cases.views import desk_required
from sop_catalog.models import SOP


class RecapForm(forms.Form):
    sop = forms.ModelChoiceField(queryset=SOP.objects.none(), label="Layanan (SOP)")
    district = forms.CharField(label="Kecamatan pengirim rekap", max_length=100)
    file = forms.FileField(label="Berkas rekap (CSV atau XLSX)")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        sops = selectors.openable_sops(user).order_by("name")
        self.fields["sop"].queryset = sops
        self.fields["sop"].initial = sops.filter(slug__endswith="santunan-kematian").first()


@desk_required(PETUGAS)
def recap(request):
    agency = request.user.agency
    if request.method == "POST" and "token" in request.POST:
        try:
            job = intake.start_job(user=request.user, token=request.POST["token"])
        except intake.RecapRefused as exc:
            messages.error(request, str(exc))
            return render(request, "cases/recap.html", {"form": RecapForm(user=request.user)})
        job = intake.process_next(job_id=job.pk, user=request.user)
        _announce(request, job)
        return redirect(job)
    form = RecapForm(request.POST or None, request.FILES or None, user=request.user)
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
    jobs = intake.jobs_of(request.user).select_related("sop")[:5]
    return render(request, "cases/recap.html", {"form": form, "jobs": jobs})


def _job(request, pk):
    try:
        return intake.jobs_of(request.user).select_related("sop").get(pk=pk)
    except RecapJob.DoesNotExist as exc:
        raise Http404("Rekap tidak ditemukan.") from exc


def _announce(request, job):
    """Said once, on the page shown after the request that finished the job."""
    if job.finished_at and job.done == job.total and not request.session.get(f"recap-{job.pk}-announced"):
        request.session[f"recap-{job.pk}-announced"] = True
        messages.success(request, f"{len(job.created_cases)} permohonan dibuat dari rekap Kecamatan {job.district}.")


def _progress(job):
    return {"done": job.done, "total": job.total, "percent": job.percent, "finished": bool(job.finished_at),
            "created": len(job.created_cases), "skipped": len(job.skipped)}  # fmt: skip


@desk_required(PETUGAS)
def recap_job(request, pk):
    job = _job(request, pk)
    if request.GET.get("format") == "json":
        return JsonResponse(_progress(job))
    created = Case.objects.filter(agency=job.agency, pk__in=job.created_cases).select_related(
        "applicant", "beneficiary"
    )
    return render(request, "cases/recap_done.html", {"job": job, "created": created.order_by("pk")})


@desk_required(PETUGAS)
@require_POST
def recap_job_next(request, pk):
    job = intake.process_next(job_id=_job(request, pk).pk, user=request.user)
    _announce(request, job)
    if request.headers.get("Accept") == "application/json":
        return JsonResponse(_progress(job))
    return redirect(job)
