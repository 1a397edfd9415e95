from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from agencies.admin_scope import AgencyScopedAdmin, AgencyScopedInline, scope
from cases import letters, privacy, services, templating
from cases.crypto import blind_index
from cases.models import (
    AuditEntry,
    Case,
    CaseDocument,
    CaseStep,
    Disposition,
    IssuedDocument,
    LetterTemplate,
    Person,
    PersonAccess,
    PersonChange,
    fold,
)
from cases.nik import normalize_number
from sop_catalog.models import SOP


class PersonChangeInline(AgencyScopedInline, admin.TabularInline):
    model = PersonChange
    extra = 0
    fields = ["at", "user", "created", "changes"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Person)
class PersonAdmin(AgencyScopedAdmin, admin.ModelAdmin):
    list_display = ["name", "nik_masked", "birth_date", "agency", "without_papers"]
    list_filter = ["agency", "without_papers", "sex"]
    search_fields = ["name_folded"]
    search_help_text = "Nama (sebagian) atau NIK/KK lengkap 16 angka."

    def get_search_results(self, request, queryset, search_term):
        digits = normalize_number(search_term)
        if digits.isdigit() and len(digits) == 16:
            digest = blind_index(digits)
            return queryset.filter(Q(nik_hash=digest) | Q(kk_hash=digest)), False
        return super().get_search_results(request, queryset, fold(search_term))

    readonly_fields = ["created_at", "updated_at"]
    inlines = [PersonChangeInline]
    NUMBER_FIELDS = ("nik", "kk_number")

    def get_exclude(self, request, obj=None):
        # Whole numbers only for the desks that may see them (cases.privacy); the rest see them masked.
        if privacy.sees_full_numbers(request.user):
            return super().get_exclude(request, obj)
        return [*(super().get_exclude(request, obj) or []), *self.NUMBER_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not privacy.sees_full_numbers(request.user):
            fields = ["nik_masked", "kk_masked", *fields]
        return fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        person = self.get_object(request, object_id)
        if person is not None and request.method == "GET":
            services.log_access(user=request.user, persons=[person], via="admin orang", ip=privacy.client_ip(request))
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        """Admin edits write the same PersonChange history as the app's person form."""
        if not change:
            super().save_model(request, obj, form, change)
            services.record_person_created(person=obj, user=request.user)
            return
        changed = {field: form.cleaned_data[field] for field in form.changed_data if field in services.PERSON_FIELDS}
        if changed:
            services.update_person(person=obj, user=request.user, data=changed)
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False  # persons are never hard-deleted


class CaseDocumentInline(AgencyScopedInline, admin.TabularInline):
    model = CaseDocument
    extra = 0
    fields = ["order", "name", "required", "received", "file", "uploaded_by", "uploaded_at"]
    readonly_fields = ["file", "uploaded_by", "uploaded_at"]

    def has_delete_permission(self, request, obj=None):
        # The checklist of a registered case is its record: lines are ticked, never removed.
        return not (obj and obj.registered_at) and super().has_delete_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return not (obj and obj.registered_at) and super().has_add_permission(request, obj)


class CaseStepInline(AgencyScopedInline, admin.TabularInline):
    model = CaseStep
    extra = 0
    fields = ["position", "no", "desk", "status", "started_at", "due_at", "completed_at", "completed_by", "outcome"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


# Fields that move only through the workflow's transitions (cases.workflow), each with its audit entry.
CASE_WORKFLOW_FIELDS = [
    "agency",
    "number",
    "sop",
    "flow",
    "state",
    "current_step",
    "waiting_for",
    "closing_reason",
    "closed_at",
    "created_by",
    "created_at",
    "registered_at",
    "returned_at",
    "returned_by",
    "return_note",
]


@admin.register(Case)
class CaseAdmin(AgencyScopedAdmin, admin.ModelAdmin):
    list_display = ["__str__", "agency", "sop", "applicant", "state", "created_at"]
    list_filter = ["agency", "state", "sifat", "channel"]
    list_select_related = ["agency", "sop", "applicant"]
    search_fields = ["number", "applicant__name", "beneficiary__name"]
    show_full_result_count = False  # no second COUNT(*) over 100k cases
    readonly_fields = CASE_WORKFLOW_FIELDS
    raw_id_fields = ["applicant", "beneficiary"]
    inlines = [CaseDocumentInline, CaseStepInline]

    def has_add_permission(self, request):
        return False  # cases are opened at the front desk (cases.services.open_case)

    def has_delete_permission(self, request, obj=None):
        return False  # cases are never hard-deleted


class ReadOnlyAdmin(AgencyScopedAdmin, admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "case", "user", "desk", "action", "from_state", "to_state", "ip_address"]
    list_filter = ["action", "case__agency"]
    search_fields = ["case__number", "user__username", "note"]
    list_select_related = ["case", "user"]


@admin.register(Disposition)
class DispositionAdmin(ReadOnlyAdmin):
    list_display = ["at", "case", "by", "from_desk", "to_desk", "to_user"]
    list_filter = ["case__agency"]
    search_fields = ["case__number"]
    list_select_related = ["case", "by", "to_user"]


class LetterTemplateForm(forms.ModelForm):
    class Meta:
        model = LetterTemplate
        fields = ["agency", "sop_slug", "kind", "title", "classification_code", "attachment", "body", "active"]

    def clean(self):
        cleaned = super().clean()
        slug, agency = cleaned.get("sop_slug"), cleaned.get("agency")
        if slug and agency and not SOP.objects.filter(agency=agency, slug=slug).exists():
            self.add_error("sop_slug", f"“{slug}” bukan SOP {agency.name}; pilih SOP dari daftar.")
        return cleaned


def variables_html():
    """The variables a template body may use (cases.templating.VARIABLES), for the change page."""
    items = format_html_join(
        "",
        "<li><code>{{{{ {} }}}}</code>{}</li>",
        (
            (group, format_html(": {}", ", ".join(f"{group}.{name}" for name in names)) if names else "")
            for group, names in templating.VARIABLES.items()
        ),
    )
    return format_html(
        "<ul>{}</ul><p>Tulis sebagai <code>{{{{ pemohon.nama }}}}</code>; <code>saksi</code> adalah daftar "
        "(<code>{{% for s in saksi %}}</code>). Selengkapnya di docs/documents.md.</p>",
        items,
    )


@admin.register(LetterTemplate)
class LetterTemplateAdmin(AgencyScopedAdmin, admin.ModelAdmin):
    form = LetterTemplateForm
    list_display = ["title", "kind", "form", "agency", "sop_slug", "classification_code", "active", "preview_link"]
    list_filter = ["agency", "kind", "active"]
    search_fields = ["title", "sop_slug", "body"]
    readonly_fields = ["variables", "preview_link"]

    @admin.display(description="variabel yang tersedia")
    def variables(self, template):
        return variables_html()

    @admin.display(description="pratinjau")
    def preview_link(self, template):
        if not template.pk:
            return "simpan dulu, lalu buka PDF contoh"
        url = reverse("admin:cases_lettertemplate_preview", args=[template.pk])
        return format_html('<a href="{}" target="_blank">PDF contoh</a>', url)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "sop_slug":
            # The SOP picked from the agency's own SOPs (one entry per slug), never typed.
            sops = scope(SOP.objects.select_related("agency"), request.user).order_by(
                "agency__name", "slug", "-version"
            )
            seen = {}
            for sop in sops:
                seen.setdefault(sop.slug, f"{sop.name} — {sop.agency.name} ({sop.slug})")
            return forms.ChoiceField(
                label="SOP",
                choices=[("", "— semua SOP (berita acara) —"), *seen.items()],
                required=False,
                help_text=db_field.help_text,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_urls(self):
        return [
            path(
                "<int:pk>/pratinjau/",
                self.admin_site.admin_view(self.preview),
                name="cases_lettertemplate_preview",
            )
        ] + super().get_urls()

    def preview(self, request, pk):
        template = get_object_or_404(self.get_queryset(request), pk=pk)
        try:
            pdf = letters.preview_pdf(template)
        except ValidationError as exc:
            return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain; charset=utf-8")
        return HttpResponse(pdf, content_type="application/pdf")


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(ReadOnlyAdmin):
    list_display = ["number", "title", "case", "status", "issued_at", "sha256"]
    list_filter = ["status", "case__agency", "template__kind"]
    search_fields = ["number", "case__number", "title"]
    list_select_related = ["case"]


@admin.register(PersonAccess)
class PersonAccessAdmin(ReadOnlyAdmin):
    list_display = ["at", "person", "user", "via", "ip_address"]
    list_filter = ["via"]
    search_fields = ["person__name", "user__username"]
    list_select_related = ["person", "user"]
    date_hierarchy = "at"
