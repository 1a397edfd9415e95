from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from cases.models import Case
from cases.privacy import client_ip
from cases.workflow import TransitionRefused
from registers import services
from registers.forms import MatchForm


@require_POST
@login_required
def case_match(request, pk):
    """The desk holding the step confirms the padanan shown, or overrides it with a reason."""
    case = Case.objects.filter(pk=pk, agency_id=request.user.agency_id).select_related("current_step").first()
    if case is None:
        raise Http404("Permohonan tidak ditemukan di instansi Anda.")
    if not case.holds(request.user):
        raise PermissionDenied("Langkah ini bukan di meja Anda.")
    form = MatchForm(request.POST)
    back = redirect(reverse("cases:case", args=[case.pk]) + "#padanan")
    if not form.is_valid():
        messages.error(request, "Data padanan tidak lengkap; muat ulang halaman.")
        return back
    try:
        match = services.record_match(
            case=case,
            user=request.user,
            step_id=form.cleaned_data["step"],
            override=form.cleaned_data["override"],
            reason=form.cleaned_data["reason"],
            ip=client_ip(request),
        )
    except TransitionRefused as exc:
        messages.error(request, str(exc))
    else:
        verdict = "memenuhi" if match.ok else "tidak memenuhi"
        messages.success(request, f"Hasil padanan dicatat: {verdict}.")
    return back
