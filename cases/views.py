import datetime
import hmac
import json
from contextlib import contextmanager
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from agencies import org, usercache
from agencies.desks import (
    DESKS,
    PETUGAS,
    REPORT_DESKS,
    SIGNING_DESKS,
    STAFF_DESKS,
    WIDE_DESKS,
)
from agencies.models import Agency, Position
from cases import charts, documents, letters, pki, privacy, report_pdf, reports, rules, selectors, services, workflow
from cases.forms import (
    BeritaAcaraForm,
    CaseForm,
    CompleteStepForm,
    DocumentForm,
    PersonForm,
    ReasonForm,
    ReturnForm,
    SurveyForm,
    VerifyUploadForm,
    WaitForm,
)
from cases.models import Case, CaseDocument, Disposition, IssuedDocument, LetterTemplate, Person, SurveyResponse
from cases.nik import nik_facts, nik_problems, normalize_number
from cases.regions import region_of_nik
from cases.resources import CaseExport, StepExport
from cases.rules import TransitionRefused
from cases.states import CLOSED_STATES
from cases.uploads import UploadRefused
from registers.services import padanan_at_step
from sop_portal import spreadsheets
from sop_portal.ratelimit import public_rate_limit
from sop_portal.routers import reading_from_replica

INTERNAL_DESKS = tuple(desk for desk, _ in DESKS)


def desk_required(*desks):
    """Login, an agency, and at least one of `desks`; otherwise 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if request.user.agency_id is None or not any(request.user.has_desk(desk) for desk in desks):
                raise PermissionDenied("Halaman ini bukan untuk meja Anda.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _pick_params(request):
    """The open-case wizard's choices carried through the person pages."""
    return {key: request.GET[key] for key in ("pilih", "pemohon", "penerima") if request.GET.get(key)}


# --- persons ---------------------------------------------------------------------------


@desk_required(*INTERNAL_DESKS)
def person_list(request):
    query = request.GET.get("q", "").strip()[:100]
    persons = selectors.search_persons(agency_id=request.user.agency_id, query=query)
    if selectors.is_number_query(query):
        persons = list(persons[:200])  # a whole NIK or KK finds one person or one household: no count query
    page = Paginator(persons, 20).get_page(request.GET.get("halaman"))
    services.log_access(user=request.user, persons=page.object_list, via="daftar orang", ip=_ip(request))
    pick = _pick_params(request)
    carry = dict(pick)
    if query:
        number = normalize_number(query)
        carry["nik" if number.isdigit() else "nama"] = number if number.isdigit() else query
    return render(
        request,
        "cases/person_list.html",
        {
            "page": page,
            "query": query,
            "pick": pick,
            "new_person_query": urlencode(carry),
            "can_edit": rules.may_edit_persons(request.user),
        },
    )


def _searched(request):
    """The NIK or name just searched for, carried into the new-person form."""
    nik = normalize_number(request.GET.get("nik", ""))[:16]
    name = request.GET.get("nama", "").strip()[:200]
    return {key: value for key, value in (("nik", nik), ("name", name)) if value and (key != "nik" or nik.isdigit())}


@desk_required(*STAFF_DESKS)
def person_create(request):
    pick = _pick_params(request)
    form = PersonForm(request.POST or None, agency=request.user.agency, initial=_searched(request))
    if request.method == "POST" and form.is_valid():
        person = services.create_person(agency=request.user.agency, user=request.user, data=form.person_data())
        messages.success(request, f"{person.name} terdaftar.")
        if pick.get("pilih"):
            return redirect(_wizard_url(pick, person))
        return redirect(person)
    return render(request, "cases/person_form.html", {"form": form, "pick": pick})


@desk_required(*STAFF_DESKS)
def person_nik(request):
    """JSON for the person form's script: what the typed NIK encodes (nothing is looked up in the registry)."""
    nik = normalize_number(request.GET.get("nik", ""))[:32]
    problems = nik_problems(nik) if nik else ["NIK kosong."]
    facts = nik_facts(nik) if not problems else None
    body = {"valid": facts is not None, "problems": problems}
    if facts is not None:
        body |= {"birth_date": facts[0].isoformat(), "sex": facts[1], **region_of_nik(nik)}
    return JsonResponse(body)


@desk_required(*INTERNAL_DESKS)
def person_detail(request, pk):
    person = get_object_or_404(Person, pk=pk, agency=request.user.agency)
    services.log_access(user=request.user, persons=[person], via="halaman orang", ip=_ip(request))
    return render(
        request,
        "cases/person_detail.html",
        {
            "person": person,
            "history": selectors.person_history(person)[:50],
            "cases": selectors.cases_of_person(person, org.visible_units(request.user))[:50],
            "can_edit": rules.may_edit_persons(request.user),
        },
    )


@desk_required(*STAFF_DESKS)
def person_edit(request, pk):
    person = get_object_or_404(Person, pk=pk, agency=request.user.agency)
    form = PersonForm(request.POST or None, instance=person, agency=request.user.agency)
    if request.method == "POST" and form.is_valid():
        person.refresh_from_db()
        changes = services.update_person(person=person, user=request.user, data=form.person_data())
        messages.success(request, f"Perubahan disimpan ({len(changes)} isian)." if changes else "Tidak ada perubahan.")
        return redirect(person)
    services.log_access(user=request.user, persons=[person], via="ubah data orang", ip=_ip(request))
    return render(request, "cases/person_form.html", {"form": form, "person": person, "pick": {}})


# --- opening a case ----------------------------------------------------------------------


def _wizard_url(pick, person):
    params = {k: v for k, v in pick.items() if k != "pilih"}
    params["pemohon" if pick["pilih"] == "pemohon" else "penerima"] = person.pk
    return reverse("cases:case_new") + "?" + urlencode(params)


def _person_param(request, key):
    value = request.GET.get(key, "")
    if not value.isdecimal():
        return None
    return Person.objects.filter(pk=int(value), agency=request.user.agency).first()


@desk_required(PETUGAS)
def case_new(request):
    applicant = _person_param(request, "pemohon")
    beneficiary = _person_param(request, "penerima") or applicant
    form = CaseForm(request.POST or None, user=request.user, initial={"sop": request.GET.get("sop")})
    if request.method == "POST" and applicant is None:
        messages.error(request, "Pilih atau daftarkan pemohon terlebih dahulu.")
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        case = services.open_case(
            user=request.user,
            sop=data["sop"],
            applicant=applicant,
            beneficiary=beneficiary,
            channel=data["channel"],
            purpose=data["purpose"],
            destination=data["destination"],
            sifat=data["sifat"],
            incoming=form.incoming(),
        )
        messages.success(request, "Konsep permohonan dibuat. Periksa kelengkapan berkas, lalu daftarkan.")
        return redirect(case)
    carry = {k: v.pk for k, v in (("pemohon", applicant), ("penerima", beneficiary)) if v}
    return render(
        request,
        "cases/case_new.html",
        {"form": form, "applicant": applicant, "beneficiary": beneficiary, "carry": urlencode(carry)},
    )


# --- the case --------------------------------------------------------------------------


def _case_or_404(request, pk):
    try:
        return selectors.case_for_page(pk=pk, agency=request.user.agency, units=org.visible_units(request.user))
    except Case.DoesNotExist as exc:
        raise Http404("Permohonan tidak ditemukan di instansi Anda.") from exc


@desk_required(*INTERNAL_DESKS)
def case_list(request):
    query = request.GET.get("q", "").strip()[:100]
    state = request.GET.get("status", "")
    cases = selectors.cases_of_agency(
        agency=request.user.agency, query=query, state=state, units=org.visible_units(request.user)
    )
    page = Paginator(cases, 20).get_page(request.GET.get("halaman"))
    return render(
        request,
        "cases/case_list.html",
        {"page": page, "query": query, "state": state, "states": Case.STATE_CHOICES, "now": timezone.now()},
    )


def _complete_form(case, user):
    """The completion form of the case page, with the moves each decision would make."""
    step = case.current_step
    branches = [b.label for b in step.sop_step.branches.all()] if step else []
    moves = {}
    for branch in branches or [""]:
        try:
            moves[branch] = workflow.plan(case, branch)
        except workflow.TransitionRefused:
            continue
    positions = None
    down = [m for m in moves.values() if m.kind == "dispose"]
    if down:
        positions = org.disposition_positions(user, case.agency_id, down[0].next_step.desk, case.sop.org_unit_id)
    form = CompleteStepForm(branches=branches, positions=positions)
    return form, moves, bool(down)


CONFIRMED_MOVES = ("sign", "complete", "reject")


def _confirm_branches(moves):
    """{branch: question} for the branches whose move cannot be undone: only the chosen one is asked."""
    return json.dumps(
        {
            branch: f"{move.label}: tindakan ini tidak dapat dibatalkan. Lanjutkan?"
            for branch, move in moves.items()
            if move.kind in CONFIRMED_MOVES
        }
    )


def _action_form(case, data):
    """The posted completion, checked without planning the move: complete_step plans it under
    the row lock and refuses a disposisi addressee who is not at the next desk."""
    branches = [b.label for b in case.current_step.sop_step.branches.all()]
    return CompleteStepForm(data, branches=branches, positions=Position.objects.filter(agency_id=case.agency_id))


@desk_required(*INTERNAL_DESKS)
def case_detail(request, pk):
    return _case_page(request, _case_or_404(request, pk))


def _case_page(request, case, *, doc_errors=None, status=200):
    """The case page; `doc_errors` {document pk: [messages]} are shown on their checklist lines."""
    if request.GET.get("dari") == "pemberitahuan":  # opened from a notice: this case's notices are read
        if request.user.notifications.filter(case=case, read_at__isnull=True).update(read_at=timezone.now()):
            usercache.forget_unread([request.user.pk])
    return render(request, "cases/case_detail.html", _case_context(request, case, doc_errors), status=status)


def _in_place(request):
    """Posted by htmx from the case page (the HX-Request header): answered with the page's partials."""
    return request.headers.get("HX-Request") == "true"


def _step_done(request, pk, *, acted):
    """The answer to a step action: without JavaScript a redirect back to the action panel; posted
    in place, the action panel with its messages and the parts of the page a step changes (the same
    partials as the page). `acted` is whether the action went through: if this user now has nothing
    left to do on the still open case, the panel says where it went and leads back to the inbox."""
    if not _in_place(request):
        return redirect(reverse("cases:case", args=[pk]) + "#tindakan")
    context = _case_context(request, _case_or_404(request, pk))
    actions, case = context["actions"], context["case"]
    context["in_place"] = True
    context["handed_off"] = acted and case.state not in CLOSED_STATES and not actions & set(rules.STEP_ACTIONS)
    response = render(request, "cases/_step_done.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _case_context(request, case, doc_errors=None):
    """What the case page and its partials show to this user."""
    services.log_access(
        user=request.user, persons=[case.applicant, case.beneficiary], via=f"permohonan {case}", ip=_ip(request)
    )
    actions = rules.actions(case, request.user)
    complete_form, moves, disposing = (
        _complete_form(case, request.user) if "complete_step" in actions else (None, {}, False)
    )
    case_letters = selectors.case_letters(case)
    return {
        "case": case,
        "documents": _with_errors(case.documents.all(), doc_errors or {}),
        "missing": case.required_documents_missing(),
        "return_form": ReturnForm(),
        "actions": actions,
        "complete_form": complete_form,
        "moves": moves,
        "disposing": disposing,
        "confirm_branches": _confirm_branches(moves),
        "reason_form": ReasonForm(),
        "wait_form": WaitForm(),
        "timeline": selectors.case_timeline(case),
        "audit": selectors.case_audit(case),
        "dispositions": selectors.case_dispositions(case),
        "flows": case.sop.flows.order_by("order") if "choose_flow" in actions else [],
        "letters": case_letters,
        "revocable": {doc.pk for doc in case_letters if rules.may_revoke(case, request.user, doc)},
        "letter_actions": letters.letter_actions(case, request.user, case_letters),
        "ba_form": (
            BeritaAcaraForm(agency=case.agency, kinds=rules.berita_acara_kinds(case, request.user))
            if "issue_berita_acara" in actions
            else None
        ),
        "bsre_signing": settings.DOCUMENT_SIGNERS.get(case.agency.slug, settings.DOCUMENT_SIGNER) == letters.BSRE,
        "signs_now": any(move.kind == "sign" for move in moves.values()),
        "now": timezone.now(),
        "today": timezone.localdate(),
        "padanan": padanan_at_step(case=case, user=request.user, ip=_ip(request)),
        "doc_errors": doc_errors or {},
        # At the front desk before registering (or after a return) the checklist is the errand.
        "checklist_first": case.state in (Case.DRAFT, Case.RETURNED) and "edit_documents" in actions,
    }


def _with_errors(documents, doc_errors):
    documents = list(documents)
    for document in documents:
        document.line_errors = doc_errors.get(document.pk, [])
    return documents


@require_POST
@desk_required(PETUGAS)
def case_documents(request, pk):
    """The whole checklist in one submit: every line's tick and scan; a refused scan is told on its line
    and never drops what the other lines (or that line's tick) carried. "Simpan dan daftarkan" then registers."""
    case = _case_or_404(request, pk)
    if not rules.may(case, request.user, "edit_documents"):
        messages.error(request, "Berkas permohonan ini tidak dapat diubah lagi.")
        return redirect(case)
    errors, saved = {}, 0
    for document in case.documents.all():
        ticked = request.POST.get(f"received-{document.pk}") == "on"
        upload = request.FILES.get(f"scan-{document.pk}")
        if upload is None and ticked == document.received:
            continue
        form = DocumentForm({"received": ticked}, {"scan": upload} if upload else {})
        if not form.is_valid():
            errors[document.pk] = [e for field_errors in form.errors.values() for e in field_errors]
            upload = None
        try:
            with transaction.atomic():
                services.receive_document(document=document, user=request.user, received=ticked, upload=upload)
        except UploadRefused as exc:
            errors.setdefault(document.pk, []).append(str(exc))
            with transaction.atomic():
                services.receive_document(document=document, user=request.user, received=ticked)
        except TransitionRefused as exc:
            errors.setdefault(document.pk, []).append(str(exc))
            continue
        saved += 1
    if errors:
        messages.error(
            request, "Sebagian berkas belum tersimpan: lihat keterangan pada barisnya, lalu pilih ulang berkasnya."
        )
        return _case_page(request, _case_or_404(request, pk), doc_errors=errors, status=400)
    if request.POST.get("then") == "register":
        return case_register(request, pk)
    messages.success(
        request, f"Kelengkapan berkas disimpan ({saved} baris)." if saved else "Tidak ada perubahan berkas."
    )
    return redirect(reverse("cases:case", args=[case.pk]) + "#berkas")


@require_POST
@desk_required(PETUGAS)
def case_document(request, pk, doc_pk):
    case = _case_or_404(request, pk)
    document = get_object_or_404(CaseDocument, pk=doc_pk, case=case)
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"{document.name}: {error}")
        return redirect(case)
    try:
        services.receive_document(
            document=document,
            user=request.user,
            received=form.cleaned_data["received"],
            upload=form.cleaned_data["scan"],
        )
    except (UploadRefused, services.TransitionRefused) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{document.name}: disimpan.")
    return redirect(reverse("cases:case", args=[case.pk]) + "#berkas")


@desk_required(*INTERNAL_DESKS)
def case_document_file(request, pk, doc_pk):
    if not privacy.may_open_scans(request.user):
        raise PermissionDenied("Pindaian berkas hanya dapat dibuka oleh meja yang memeriksa berkas.")
    case = _case_or_404(request, pk)
    document = get_object_or_404(CaseDocument, pk=doc_pk, case=case)
    if not document.file:
        raise Http404("Belum ada pindaian untuk berkas ini.")
    # A KTP or KK scan is personal data: who opened it is logged like the person page (UU PDP).
    services.log_access(
        user=request.user,
        persons=[case.applicant, case.beneficiary],
        via=f"pindaian {case}"[:40],
        ip=_ip(request),
    )
    response = FileResponse(document.file.open("rb"), content_type=document.content_type)
    response["Content-Disposition"] = f'inline; filename="berkas-{document.pk}{document.extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


_ip = privacy.client_ip


STALE = "Permohonan ini sudah diproses oleh pengguna lain — muat ulang halaman."


@contextmanager
def _refusals(request):
    """An action refused now is told on the case page; one the user may never take stays a 403."""
    try:
        yield
    except TransitionRefused as exc:
        messages.error(request, str(exc))
    except services.ConcurrentTransition:
        messages.error(request, STALE)


def _case_for_action(request, pk, lock=False):
    """As the case page does: another agency's case, or one of a unit the user does not serve, is not
    found (a 404, not a 403 that would tell another bidang the case exists)."""
    try:
        case = selectors.case_for_action(pk=pk, agency_id=request.user.agency_id, lock=lock)
    except Case.DoesNotExist as exc:
        raise Http404("Permohonan tidak ditemukan di instansi Anda.") from exc
    units = org.visible_units(request.user)
    if units is not None and org.case_unit_id(case) is not None and org.case_unit_id(case) not in units:
        raise Http404("Permohonan tidak ditemukan di instansi Anda.")
    return case


@require_POST
@desk_required(PETUGAS)
def case_register(request, pk):
    case = _case_for_action(request, pk)
    with _refusals(request):
        rules.require(case, request.user, "register")
        case = services.register_case(case=case, user=request.user, ip=_ip(request))
        messages.success(request, f"Permohonan terdaftar dengan nomor {case.number}. Cetak tanda terimanya.")
    return redirect(case)


@require_POST
@desk_required(PETUGAS)
def case_return(request, pk):
    case = _case_for_action(request, pk)
    form = ReturnForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    with _refusals(request):
        rules.require(case, request.user, "return_to_applicant")
        case = services.return_to_applicant(case=case, user=request.user, note=note, ip=_ip(request))
        messages.success(request, "Permohonan dikembalikan ke pemohon. Cetak daftar kekurangan berkas.")
    return redirect(case)


@require_POST
@desk_required(PETUGAS)
def case_resubmit(request, pk):
    case = _case_for_action(request, pk)
    with _refusals(request):
        rules.require(case, request.user, "resubmit")
        case = services.resubmit_case(case=case, user=request.user, ip=_ip(request))
        messages.success(request, "Permohonan diajukan kembali.")
    return redirect(case)


def _pdf(content, filename):
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _log_case_persons(request, case, what):
    """A document of the case shows its applicant's and beneficiary's data: log that they were seen."""
    persons = [case.applicant, case.beneficiary]
    services.log_access(user=request.user, persons=persons, via=f"{what} {case}"[:40], ip=_ip(request))


@desk_required(*INTERNAL_DESKS)
def case_receipt(request, pk):
    case = _case_or_404(request, pk)
    if not case.number:
        raise Http404("Tanda terima ada setelah permohonan didaftarkan.")
    _log_case_persons(request, case, "tanda terima")
    pdf = documents.tanda_terima_pdf(case, see_nik=privacy.sees_full_numbers(request.user))
    return _pdf(pdf, f"tanda-terima-{case.number.replace('/', '-')}.pdf")


@desk_required(*INTERNAL_DESKS)
def case_missing(request, pk):
    case = _case_or_404(request, pk)
    if case.state != Case.RETURNED:
        raise Http404("Daftar kekurangan berkas ada setelah permohonan dikembalikan.")
    _log_case_persons(request, case, "kekurangan berkas")
    return _pdf(documents.missing_documents_pdf(case), f"kekurangan-berkas-{case.number.replace('/', '-')}.pdf")


@public_rate_limit("status")
def status(request, number):
    """Public: the state of a request by its registration number, without personal data.

    Without the code printed on the tanda terima it says only that the number exists; with it, the
    state (never the service of a Rahasia case), and a completed request can be rated once (SKM).
    """
    case = selectors.case_by_number(number)
    if case is None:
        return render(request, "cases/status.html", {"number": number, "case": None}, status=404)
    code = (request.GET.get("kode") or request.POST.get("kode") or "").strip().upper()[:16]
    if not hmac.compare_digest(code, case.survey_code):
        return render(
            request, "cases/status.html", {"number": number, "case": None, "exists": True, "wrong_code": bool(code)}
        )
    can_rate = case.state == Case.COMPLETED
    answered = SurveyResponse.objects.filter(case=case).exists()
    form = None
    if can_rate and not answered:
        form = SurveyForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                with transaction.atomic():
                    SurveyResponse.objects.create(case=case, **form.cleaned_data)
            except IntegrityError:
                pass  # answered twice at once: the first answer stands
            messages.success(request, "Terima kasih. Penilaian Anda sudah kami terima.")
            return redirect(reverse("cases:status", args=[case.number]) + f"?kode={code}")
    return render(
        request,
        "cases/status.html",
        {"number": number, "case": case, "form": form, "answered": answered and can_rate, "code": code},
    )


# --- workflow --------------------------------------------------------------------------


@desk_required(*INTERNAL_DESKS)
def inbox(request):
    sop = request.GET.get("sop", "")
    sifat = request.GET.get("sifat", "")
    overdue = request.GET.get("terlambat") == "1"
    due_today = request.GET.get("hari_ini") == "1"
    parked = request.GET.get("tab") == "pihak-luar"
    steps = selectors.inbox(
        user=request.user, sop_slug=sop, sifat=sifat, overdue=overdue, due_today=due_today, parked=parked
    )
    page = Paginator(steps, 20).get_page(request.GET.get("halaman"))
    parked_count = selectors.inbox(user=request.user, parked=True).count() if not parked else page.paginator.count
    return render(
        request,
        "cases/inbox.html",
        {
            "page": page,
            "sop": sop,
            "sifat": sifat,
            "overdue": overdue,
            "due_today": due_today,
            "sops": selectors.inbox_sops(request.user),
            "sifat_choices": Case.SIFAT_CHOICES,
            "now": timezone.now(),
            "parked": parked,
            "parked_count": parked_count,
        },
    )


def _step_id(request, case, action):
    """The step the page showed, once the user may take `action` on it: a stale page is told so."""
    step_id = request.POST.get("step") or None
    if step_id is not None and step_id.isdecimal():
        workflow.check_current(case, step_id)
    rules.require(case, request.user, action)
    if step_id is None or not step_id.isdecimal():
        raise TransitionRefused("Halaman ini sudah usang — muat ulang halaman lalu ulangi.")
    return step_id


def _credentials(data):
    """A BSrE signer's NIK and passphrase, for this request only."""
    return {"nik": data.get("bsre_nik", "").strip(), "passphrase": data.get("bsre_passphrase", "")}


def _text(request):
    return request.POST.get("text", "").strip()


@require_POST
@desk_required(*INTERNAL_DESKS)
def case_complete(request, pk):
    acted = False
    # One transaction from the first read: the case is loaded once, already under its row lock.
    with _refusals(request), transaction.atomic():
        case = _case_for_action(request, pk, lock=True)
        step_id = _step_id(request, case, "complete_step")
        form = _action_form(case, request.POST)
        if not form.is_valid():
            raise TransitionRefused(" ".join(e for errors in form.errors.values() for e in errors))
        data = form.cleaned_data
        case = workflow.complete_step(
            case=case,
            locked=True,
            user=request.user,
            step_id=step_id,
            note=data["note"],
            branch=data["branch"],
            disposition={
                "instructions": data["instructions"],
                "to_position": data["to_position"],
                "note": data["disposition_note"],
            },
            ip=_ip(request),
            render_disposition=documents.disposition_pdf,
            credentials=_credentials(data),
        )
        acted = True
        messages.success(request, "Permohonan ditutup." if case.state in CLOSED_STATES else "Langkah selesai.")
    return _step_done(request, pk, acted=acted)


@require_POST
@desk_required(*INTERNAL_DESKS)
def case_wait(request, pk):
    case = _case_for_action(request, pk)
    with _refusals(request):
        step_id = _step_id(request, case, "wait_external")
        until = _date_param(request.POST.get("until", ""))
        if until is None:
            raise TransitionRefused("Isi perkiraan tanggal jawaban pihak luar (untuk pengingat).")
        workflow.wait_external(
            case=case, user=request.user, step_id=step_id, waiting_for=_text(request), until=until, ip=_ip(request)
        )
        messages.success(request, f"Permohonan menunggu pihak luar; pengingat pada {until:%d-%m-%Y}.")
    return redirect(reverse("cases:case", args=[case.pk]) + "#tindakan")


def _date_param(value):
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        return None


@require_POST
@desk_required(*INTERNAL_DESKS)
def case_resume(request, pk):
    case = _case_for_action(request, pk)
    with _refusals(request):
        step_id = _step_id(request, case, "resume")
        answer = _text(request)
        if not answer:
            raise TransitionRefused("Tuliskan jawaban pihak luar.")
        scan = request.FILES.get("scan")
        try:
            workflow.resume(
                case=case, user=request.user, step_id=step_id, note=answer, answer_scan=scan, ip=_ip(request)
            )
        except UploadRefused as exc:
            raise TransitionRefused(str(exc)) from exc
        messages.success(request, "Permohonan dilanjutkan; jawaban pihak luar dicatat.")
    return redirect(reverse("cases:case", args=[case.pk]) + "#tindakan")


@require_POST
@desk_required(*INTERNAL_DESKS)
def case_return_for_revision(request, pk):
    case = _case_for_action(request, pk)
    with _refusals(request):
        step_id = _step_id(request, case, "return_for_revision")
        workflow.return_for_revision(
            case=case, user=request.user, step_id=step_id, note=_text(request), ip=_ip(request)
        )
        messages.success(request, "Dikembalikan untuk revisi.")
    return redirect(reverse("cases:case", args=[case.pk]) + "#tindakan")


@require_POST
@desk_required(*INTERNAL_DESKS)
def case_take_back(request, pk):
    case = _case_for_action(request, pk)
    with _refusals(request):
        rules.require(case, request.user, "take_back")
        step_id = request.POST.get("step") or ""
        if not step_id.isdecimal():
            raise TransitionRefused("Halaman ini sudah usang — muat ulang halaman lalu ulangi.")
        workflow.take_back(case=case, user=request.user, step_id=step_id, note=_text(request), ip=_ip(request))
        messages.success(request, "Permohonan ditarik kembali ke meja Anda.")
    return redirect(reverse("cases:case", args=[case.pk]) + "#tindakan")


@require_POST
@desk_required(*INTERNAL_DESKS)
def case_reject(request, pk):
    case = _case_for_action(request, pk)
    with _refusals(request):
        step_id = _step_id(request, case, "reject")
        workflow.reject(case=case, user=request.user, step_id=step_id, reason=_text(request), ip=_ip(request))
        messages.success(request, "Permohonan ditolak.")
    return redirect(reverse("cases:case", args=[case.pk]) + "#tindakan")


@require_POST
@desk_required(*INTERNAL_DESKS)
def case_cancel(request, pk):
    case = _case_for_action(request, pk)
    with _refusals(request):
        rules.require(case, request.user, "cancel")
        workflow.cancel(case=case, user=request.user, reason=_text(request), ip=_ip(request))
        messages.success(request, "Permohonan dibatalkan.")
    return redirect(case)


@require_POST
@desk_required(*INTERNAL_DESKS)
def case_choose_flow(request, pk):
    case = _case_for_action(request, pk)
    flow_id = request.POST.get("flow", "")
    flow = get_object_or_404(case.sop.flows, pk=int(flow_id) if flow_id.isdecimal() else 0)
    with _refusals(request):
        rules.require(case, request.user, "choose_flow")
        services.choose_flow(case=case, user=request.user, flow=flow)
        messages.success(request, f"Alur dipilih: {flow}.")
    return redirect(case)


@desk_required(*INTERNAL_DESKS)
def disposition_file(request, pk, disposition_pk):
    case = _case_or_404(request, pk)
    disposition = get_object_or_404(Disposition, pk=disposition_pk, case=case)
    if not disposition.pdf:
        raise Http404("Lembar disposisi belum tersedia.")
    response = FileResponse(disposition.pdf.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="disposisi-{disposition.pk}.pdf"'
    return response


@desk_required(*INTERNAL_DESKS)
def case_rejection_letter(request, pk):
    case = _case_or_404(request, pk)
    if case.state != Case.REJECTED:
        raise Http404("Surat penolakan ada setelah permohonan ditolak.")
    _log_case_persons(request, case, "surat penolakan")
    issued = (
        case.letters.filter(template__kind=LetterTemplate.PENOLAKAN)
        .exclude(status=IssuedDocument.DRAFT)
        .filter(replaced_by__isnull=True)
        .order_by("-id")
        .first()
    )
    if issued is not None and issued.pdf:  # the numbered, signed surat penolakan, never re-rendered
        with issued.pdf.open("rb") as handle:
            return _pdf(handle.read(), f"penolakan-{case.number.replace('/', '-')}.pdf")
    return _pdf(documents.rejection_letter_pdf(case), f"penolakan-{case.number.replace('/', '-')}.pdf")


@login_required
def notifications(request):
    """Notices grouped per case, newest first: a case's latest notice with the older ones beneath it.
    Opening the page reads nothing: a case's notices are read when the case is opened from here, or all
    at once with "Tandai semua dibaca"."""
    notices = request.user.notifications.select_related("case__sop", "actor").order_by("-created_at", "-id")
    groups: dict[int, dict] = {}
    for notice in notices[:600]:
        group = groups.setdefault(notice.case_id, {"case": notice.case, "latest": notice, "older": [], "unread": 0})
        if notice is not group["latest"]:
            group["older"].append(notice)
        group["unread"] += notice.read_at is None
    page = Paginator(list(groups.values()), 20).get_page(request.GET.get("halaman"))
    return render(request, "cases/notifications.html", {"page": page})


@require_POST
@login_required
def notifications_digest(request):
    request.user.notice_digest = request.POST.get("digest") == "on"
    request.user.save(update_fields=["notice_digest"])
    messages.success(
        request,
        "Pemberitahuan akan dikirim lewat e-mail sebagai ringkasan harian."
        if request.user.notice_digest
        else "Setiap pemberitahuan dikirim lewat e-mail saat terjadi.",
    )
    return redirect("cases:notifications")


@require_POST
@login_required
def notifications_read(request):
    count = request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    usercache.forget_unread([request.user.pk])
    messages.success(request, f"{count} pemberitahuan ditandai dibaca." if count else "Tidak ada yang belum dibaca.")
    return redirect("cases:notifications")


# --- letters ---------------------------------------------------------------------------


def _letter_or_404(request, pk, doc_pk):
    case = _case_or_404(request, pk)
    return case, get_object_or_404(IssuedDocument.objects.select_related("template"), pk=doc_pk, case=case)


@desk_required(*INTERNAL_DESKS)
def letter_draft(request, pk, doc_pk):
    """The exact letter as it will be signed, marked KONSEP, for every desk that handles it."""
    case, document = _letter_or_404(request, pk, doc_pk)
    if document.status != IssuedDocument.DRAFT:
        return redirect("cases:letter_pdf", pk=case.pk, doc_pk=document.pk)
    _log_case_persons(request, case, "konsep surat")
    return _pdf(letters.draft_pdf(document), f"konsep-{document.pk}.pdf")


@desk_required(*INTERNAL_DESKS)
def letter_pdf(request, pk, doc_pk):
    """The stored original, byte for byte."""
    case, document = _letter_or_404(request, pk, doc_pk)
    if not document.pdf:
        raise Http404("Surat ini belum ditandatangani.")
    _log_case_persons(request, case, f"surat {document.number}")
    response = FileResponse(document.pdf.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document.number.replace("/", "-")}.pdf"'
    return response


@require_POST
@desk_required(*SIGNING_DESKS)
def letter_revoke(request, pk, doc_pk):
    case, document = _letter_or_404(request, pk, doc_pk)
    try:
        rules.require_revoke(case, request.user, document)
        new = letters.revoke_and_reissue(
            document=document,
            user=request.user,
            reason=request.POST.get("text", ""),
            credentials=_credentials(request.POST),
            corrections=_corrections(request),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except TransitionRefused as exc:
        messages.error(request, str(exc))
    else:
        if new.status == IssuedDocument.DRAFT:
            messages.success(
                request,
                f"Konsep pengganti {document.number} dibuat; setelah diparaf ulang, "
                "tandatangani untuk mencabut yang lama.",
            )
        else:
            messages.success(request, f"Surat {document.number} dicabut dan diganti dengan nomor {new.number}.")
    return redirect(reverse("cases:case", args=[case.pk]) + "#surat")


def _corrections(request):
    """The corrected maksud, tujuan and perihal of a letter form (absent fields stay as they are)."""
    fields = {"maksud": "maksud", "tujuan": "tujuan", "perihal": "perihal"}
    return {key: request.POST[name][:2000] for key, name in fields.items() if name in request.POST}


@require_POST
@desk_required(*INTERNAL_DESKS)
def letter_correct(request, pk, doc_pk):
    """Before signing: the desk handling the draft corrects maksud, tujuan and perihal (audited)."""
    case, document = _letter_or_404(request, pk, doc_pk)
    try:
        changes = letters.correct_draft(document=document, user=request.user, corrections=_corrections(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except TransitionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Konsep dikoreksi: {', '.join(changes)}." if changes else "Tidak ada perubahan.")
    return redirect(reverse("cases:case", args=[case.pk]) + "#surat")


@require_POST
@desk_required(*INTERNAL_DESKS)
def letter_paraf(request, pk, doc_pk):
    """The next desk of the paraf chain initials a corrected replacement."""
    case, document = _letter_or_404(request, pk, doc_pk)
    try:
        letters.paraf_replacement(document=document, user=request.user)
    except TransitionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Konsep pengganti diparaf.")
    return redirect(reverse("cases:case", args=[case.pk]) + "#surat")


@require_POST
@desk_required(*INTERNAL_DESKS)
def letter_sign(request, pk, doc_pk):
    """The signer signs a corrected replacement; the old letter is revoked."""
    case, document = _letter_or_404(request, pk, doc_pk)
    try:
        new = letters.sign_replacement(document=document, user=request.user, credentials=_credentials(request.POST))
    except TransitionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Surat pengganti diterbitkan dengan nomor {new.number}.")
    return redirect(reverse("cases:case", args=[case.pk]) + "#surat")


def _berita_acara_form(request, case):
    """The berita acara form as posted, or None (its errors told) when it is not valid."""
    form = BeritaAcaraForm(request.POST, agency=case.agency, kinds=rules.berita_acara_kinds(case, request.user))
    if form.is_valid():
        return form
    messages.error(request, "Berita acara: " + " ".join(e for errors in form.errors.values() for e in errors))
    return None


@require_POST
@desk_required(*INTERNAL_DESKS)
def berita_acara(request, pk):
    """Issue a numbered berita acara at the SOP step that produces it, by that step's desk."""
    case = _case_or_404(request, pk)
    form = _berita_acara_form(request, case)
    if form is None:
        return redirect(reverse("cases:case", args=[case.pk]) + "#surat")
    try:
        document = letters.issue_berita_acara(
            case=case, user=request.user, credentials=_credentials(form.cleaned_data), **form.issue_kwargs()
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except TransitionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{document.title} diterbitkan dengan nomor {document.number}.")
    return redirect(reverse("cases:case", args=[case.pk]) + "#surat")


@require_POST
@desk_required(*INTERNAL_DESKS)
def berita_acara_preview(request, pk):
    """The berita acara as filled in, marked KONSEP, before its number is taken."""
    case = _case_or_404(request, pk)
    form = _berita_acara_form(request, case)
    if form is None:
        return redirect(reverse("cases:case", args=[case.pk]) + "#surat")
    try:
        pdf = letters.berita_acara_preview(case=case, user=request.user, **form.issue_kwargs())
    except (ValidationError, TransitionRefused) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect(reverse("cases:case", args=[case.pk]) + "#surat")
    _log_case_persons(request, case, "konsep berita acara")
    return _pdf(pdf, f"konsep-berita-acara-{case.number.replace('/', '-')}.pdf")


@public_rate_limit("verify")
def verify(request, token):
    """Public: number, date, perihal, signer, status and SHA-256 of a document; no personal data."""
    document = (
        IssuedDocument.objects.select_related("case__agency", "replaced_by")
        .exclude(status=IssuedDocument.DRAFT)
        .filter(token=token)
        .first()
    )
    if document is None:
        return render(request, "cases/verify.html", {"document": None}, status=404)
    result, report = None, None
    form = VerifyUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        result, report = letters.check_upload(document, form.cleaned_data["pdf"])
    agency = document.case.agency
    return render(
        request,
        "cases/verify.html",
        {
            "document": document,
            "form": form,
            "result": result,
            "report": report,
            "has_ca": pki.has_ca(agency),
            "signature": document.signer.get("signature", "none"),
        },
    )


@public_rate_limit("verify")
def verify_any(request):
    """Public: a PDF checked without its QR address — found by its SHA-256, its signature checked."""
    form = VerifyUploadForm(request.POST or None, request.FILES or None)
    document, report = None, None
    if request.method == "POST" and form.is_valid():
        document, report = letters.check_any_upload(form.cleaned_data["pdf"])
    return render(
        request,
        "cases/verify_any.html",
        {"form": form, "found": document, "report": report, "checked": report is not None},
    )


@public_rate_limit("verify")
def verify_ca(request, agency_slug):
    """Public: the agency's CA certificate, for a PDF reader to trust its signatures (and the CRL)."""
    agency = get_object_or_404(Agency, slug=agency_slug)
    if not pki.has_ca(agency):
        raise Http404("Instansi ini belum memiliki sertifikat CA.")
    response = HttpResponse(pki.ca_certificate_pem(agency), content_type="application/x-pem-file")
    response["Content-Disposition"] = f'attachment; filename="ca-{agency.slug}.pem"'
    return response


@public_rate_limit("verify")
def verify_crl(request, agency_slug):
    agency = get_object_or_404(Agency, slug=agency_slug)
    crl = pki.crl_der(agency) if pki.has_ca(agency) else None
    if crl is None:
        raise Http404("Instansi ini belum memiliki daftar pencabutan sertifikat.")
    response = HttpResponse(crl, content_type="application/pkix-crl")  # DER, as the certificates' CRL URL
    response["Content-Disposition"] = f'attachment; filename="{agency.slug}.crl"'
    return response


# --- dashboards, reports, exports ------------------------------------------------------


@login_required
def dashboard(request):
    user = request.user
    if user.agency_id is None:
        return render(request, "home.html")
    today = timezone.localdate()
    start = today - datetime.timedelta(days=29)
    # A Kabid sees the figures of their bidang; the Sekretaris, the Kepala Dinas and admins the agency's.
    wide = any(user.has_desk(desk) for desk in WIDE_DESKS)
    units = org.visible_units(user)
    context = {
        "desk": selectors.desk_summary(user=user),
        "by_state": selectors.cases_by_state(agency_id=user.agency_id, units=units),
        "by_sop": selectors.open_cases_by_sop(agency_id=user.agency_id, units=units),
        "wide": wide,
        "unit_names": report_pdf.unit_names(units),
        "start": start,
        "end": today,
    }
    context["by_sop_chart"] = charts.bar_chart(
        [(row["sop__name"], row["open"], f"{row['open']} berjalan") for row in context["by_sop"][:12]],
        title="Permohonan berjalan per layanan",
    )
    if wide:
        with reading_from_replica():  # the 30-day report figures, as the report page reads them
            figures = reports.compliance(agency=user.agency, start=start, end=today, units=units)
            context["ikm"] = reports.ikm_per_service(agency=user.agency, start=start, end=today, units=units)
        context["compliance"] = figures
        context["compliance_chart"] = report_pdf.share_chart(
            figures["sops"], "Langkah sesuai standar waktu, 30 hari terakhir"
        )
    return render(request, "cases/dashboard.html", context)


def _period(request):
    today = timezone.localdate()
    try:
        end = datetime.date.fromisoformat(request.GET.get("sampai", "")) if request.GET.get("sampai") else today
        start = (
            datetime.date.fromisoformat(request.GET["dari"])
            if request.GET.get("dari")
            else end - datetime.timedelta(days=89)
        )
    except ValueError:
        messages.error(request, "Tanggal tidak sah; gunakan TTTT-BB-HH. Ditampilkan 90 hari terakhir.")
        end, start = today, today - datetime.timedelta(days=89)
    if start > end:
        start, end = end, start
    floor, ceiling = datetime.date(2000, 1, 1), datetime.date(2100, 12, 31)
    return min(max(start, floor), ceiling), min(max(end, floor), ceiling)


def _report_context(request):
    start, end = _period(request)
    sop = request.GET.get("sop", "")
    return {
        **report_pdf.report_context(
            agency=request.user.agency, start=start, end=end, sop_slug=sop, units=org.visible_units(request.user)
        ),
        "sops": selectors.inbox_sops(request.user),
    }


@desk_required(*REPORT_DESKS)
def compliance_report(request):
    return render(request, "cases/report.html", _report_context(request))


@desk_required(*REPORT_DESKS)
def compliance_report_pdf(request):
    """Rendered by the task worker: the file once it is there, else a page that reloads itself (202)."""
    start, end = _period(request)
    sop = request.GET.get("sop", "")
    units = org.visible_units(request.user)
    path = report_pdf.ready_or_queue(agency=request.user.agency, start=start, end=end, sop_slug=sop, units=units)
    if path is None:
        return render(request, "cases/report_pending.html", {"start": start, "end": end}, status=202)
    with default_storage.open(path) as handle:
        return _pdf(handle.read(), f"mutu-baku-{start}-{end}.pdf")


@desk_required(*REPORT_DESKS)
def export(request, what, fmt):
    if what not in ("permohonan", "langkah") or fmt not in ("csv", "xlsx"):
        raise Http404("Ekspor tidak dikenal.")
    start, end = _period(request)
    state, sop = request.GET.get("status", ""), request.GET.get("sop", "")
    agency, units = request.user.agency, org.visible_units(request.user)
    # The rows are read from the replica, if there is one; the access log is written to the primary.
    if what == "permohonan":
        include_nik = privacy.sees_full_numbers(request.user)
        with reading_from_replica():
            rows = list(
                selectors.cases_for_export(
                    agency=agency, start=start, end=end, state=state, sop_slug=sop, units=units, with_nik=include_nik
                )
            )
            dataset = CaseExport(include_nik=include_nik, time_zone=agency.time_zone).export(rows)
        dataset.title = CaseExport.SHEET
        services.log_access(
            user=request.user,
            persons=[p for case in rows for p in (case.applicant, case.beneficiary)],
            via=f"ekspor {fmt}",
            ip=_ip(request),
        )
    else:
        with reading_from_replica():
            rows = selectors.steps_for_export(agency=agency, start=start, end=end, sop_slug=sop, units=units)
            dataset = StepExport(time_zone=agency.time_zone).export(rows)
        dataset.title = StepExport.SHEET
    content = {"csv": spreadsheets.CSV, "xlsx": spreadsheets.XLSX}[fmt]().export_data(dataset)
    types = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    response = HttpResponse(content, content_type=types[fmt])
    response["Content-Disposition"] = f'attachment; filename="{what}-{agency.slug}-{start}-{end}.{fmt}"'
    return response


def service_standards(request, agency_slug):
    """Public: the agency's services with requirements, steps and time standards (Standar Pelayanan)."""
    agency = get_object_or_404(Agency, slug=agency_slug)
    return render(
        request,
        "cases/service_standards.html",
        {"agency": agency, "services": selectors.published_services(agency)},
    )
