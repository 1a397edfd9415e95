from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from import_export.admin import ImportExportModelAdmin
from import_export.formats import base_formats

from agencies.admin_scope import AgencyScopedAdmin, AgencyScopedInline, scope
from agencies.models import Agency
from sop_catalog.models import (
    DESK_CHOICES,
    ONE_SIGNING_STEP,
    SOP,
    Branch,
    Equipment,
    Flow,
    LegalBasis,
    Qualification,
    RelatedSOP,
    RequiredDocument,
    Role,
    Step,
)
from sop_catalog.resources import SOPResource, StepResource
from sop_catalog.services import copy_to_agency, create_new_version
from sop_catalog.timeparse import parse_time
from sop_portal import spreadsheets
from sop_portal.imports import PlainErrorsAdmin

# Exports a spreadsheet program opens never hold a formula (sop_portal/spreadsheets.py).
SAFE_EXPORT_FORMATS = [spreadsheets.CSV, spreadsheets.XLSX, base_formats.JSON]


class LockedMixin:
    """An SOP used by a case is read-only; admins copy it as a new version instead."""

    def _sop_of(self, obj):
        return obj

    def has_change_permission(self, request, obj=None):
        if obj is not None and self._sop_of(obj).locked:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and self._sop_of(obj).locked:
            return False
        return super().has_delete_permission(request, obj)


class LockedInlineMixin:
    def has_change_permission(self, request, obj=None):
        return not (obj and obj.locked) and super().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return not (obj and obj.locked) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not (obj and obj.locked) and super().has_delete_permission(request, obj)


class OrderedTextInline(AgencyScopedInline, LockedInlineMixin, admin.TabularInline):
    extra = 0
    fields = ["order", "text"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "text":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 2, "cols": 90})
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class LegalBasisInline(OrderedTextInline):
    model = LegalBasis


class QualificationInline(OrderedTextInline):
    model = Qualification


class RelatedSOPInline(OrderedTextInline):
    model = RelatedSOP
    fields = ["order", "text", "target_slug"]


class EquipmentInline(OrderedTextInline):
    model = Equipment


class RequiredDocumentInline(AgencyScopedInline, LockedInlineMixin, admin.TabularInline):
    model = RequiredDocument
    extra = 0
    fields = ["order", "name", "required"]


class RoleInline(AgencyScopedInline, LockedInlineMixin, admin.TabularInline):
    model = Role
    extra = 0
    fields = ["order", "label", "desk"]


class FlowInline(AgencyScopedInline, LockedInlineMixin, admin.TabularInline):
    model = Flow
    extra = 0
    fields = ["order", "title", "steps_link"]
    readonly_fields = ["steps_link"]

    @admin.display(description="langkah")
    def steps_link(self, flow):
        if not flow.pk:
            return "simpan dulu, lalu isi langkahnya"
        url = reverse("admin:sop_catalog_flow_change", args=[flow.pk])
        return format_html('<a href="{}">{} langkah — ubah</a>', url, flow.steps.count())


class DeskFilter(admin.SimpleListFilter):
    title = "meja"
    parameter_name = "desk"

    def lookups(self, request, model_admin):
        return DESK_CHOICES

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(roles__desk=self.value()).distinct()
        return queryset


class CopyToAgencyForm(forms.Form):
    agency = forms.ModelChoiceField(Agency.objects.all(), label="Instansi tujuan")


@admin.register(SOP)
class SOPAdmin(AgencyScopedAdmin, LockedMixin, PlainErrorsAdmin, ImportExportModelAdmin):
    resource_classes = [SOPResource]
    export_formats = SAFE_EXPORT_FORMATS
    list_display = ["number", "name", "agency", "version", "is_current", "status", "locked", "public_link"]
    list_display_links = ["number", "name"]
    list_filter = ["agency", "status", "is_current", "locked", DeskFilter]
    search_fields = ["number", "name", "slug"]
    readonly_fields = ["version", "is_current", "locked", "updated_at", "public_link"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [
        LegalBasisInline,
        QualificationInline,
        RelatedSOPInline,
        EquipmentInline,
        RequiredDocumentInline,
        RoleInline,
        FlowInline,
    ]
    actions = ["copy_as_new_version", "copy_to_other_agency"]
    fieldsets = [
        (None, {"fields": ["agency", "unit", "number", "name", "slug", "status", "public_link"]}),
        ("Tanggal", {"fields": ["created", "revised", "effective"]}),
        ("Disahkan oleh", {"fields": ["approved_by_name", "approved_by_title", "approved_by_nip"]}),
        (None, {"fields": ["warning", "recording", "source"]}),
        ("Versi", {"fields": ["version", "is_current", "locked", "updated_at"]}),
    ]

    @admin.display(description="halaman publik")
    def public_link(self, sop):
        if not sop.pk:
            return "-"
        return format_html('<a href="{}" target="_blank">{}</a>', sop.get_absolute_url(), sop.get_absolute_url())

    @admin.action(description="Salin sebagai versi baru")
    def copy_as_new_version(self, request, queryset):
        for sop in queryset:
            new = create_new_version(sop)
            self.message_user(request, f"{sop.slug}: versi {new.version} dibuat dan menjadi versi terkini.")

    @admin.action(description="Salin ke instansi lain")
    def copy_to_other_agency(self, request, queryset):
        form = CopyToAgencyForm(request.POST if "apply" in request.POST else None)
        form.fields["agency"].queryset = scope(Agency.objects.all(), request.user)  # only allowed agencies
        if form.is_valid():
            for sop in queryset:
                new = copy_to_agency(sop, agency=form.cleaned_data["agency"])
                self.message_user(request, f"{sop} disalin sebagai konsep {new.slug}.", messages.SUCCESS)
            return redirect(request.get_full_path())
        return render(
            request,
            "admin/sop_catalog/copy_to_agency.html",
            {
                **self.admin_site.each_context(request),
                "form": form,
                "sops": queryset,
                "title": "Salin ke instansi lain",
            },
        )


class StepForm(forms.ModelForm):
    class Meta:
        model = Step
        fields = ["no", "activity", "actors", "desk", "signs", "requirements", "time_text", "output", "notes"]
        widgets = {
            "activity": forms.Textarea(attrs={"rows": 3, "cols": 40}),
            "requirements": forms.Textarea(attrs={"rows": 2, "cols": 20}),
            "output": forms.Textarea(attrs={"rows": 2, "cols": 16}),
            "notes": forms.Textarea(attrs={"rows": 2, "cols": 16}),
        }

    def clean(self):
        cleaned = super().clean()
        flow = cleaned.get("flow")
        moved = not self.instance.pk or "flow" in self.changed_data
        if flow is not None and flow.sop_id and flow.sop.locked and moved:
            self.add_error("flow", f"SOP {flow.sop} sudah dipakai permohonan; salin sebagai versi baru dulu.")
        if "actors" in cleaned:
            self.instance.pending_actor_desks = [role.desk for role in cleaned["actors"]]
        parsed = parse_time(cleaned.get("time_text", ""))
        self.instance.time_min, self.instance.time_max, self.instance.time_unit = (
            parsed.min,
            parsed.max,
            parsed.unit or "",
        )
        return cleaned


class StepFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        if sum(bool(form.cleaned_data.get("signs")) for form in kept) > 1:
            raise forms.ValidationError(ONE_SIGNING_STEP)


class StepInline(AgencyScopedInline, admin.TabularInline):
    model = Step
    form = StepForm
    formset = StepFormSet
    extra = 1
    fields = [
        "no",
        "activity",
        "actors",
        "desk",
        "signs",
        "requirements",
        "time_text",
        "time_standard",
        "output",
        "notes",
    ]
    readonly_fields = ["time_standard"]

    @admin.display(description="standar terbaca")
    def time_standard(self, step):
        if step.time_max is None:
            return "-"
        low, high = step.time_min.normalize(), step.time_max.normalize()
        span = f"{low}" if low == high else f"{low}–{high}"
        return f"{span} {step.get_time_unit_display()}"

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "actors":
            flow_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = Role.objects.filter(sop__flows__id=flow_id) if flow_id else Role.objects.none()
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return not (obj and obj.sop.locked) and super().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return not (obj and obj.sop.locked) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not (obj and obj.sop.locked) and super().has_delete_permission(request, obj)


@admin.register(Flow)
class FlowAdmin(AgencyScopedAdmin, LockedMixin, admin.ModelAdmin):
    list_display = ["__str__", "sop", "order"]
    list_filter = ["sop__agency"]
    search_fields = ["title", "sop__name", "sop__number"]
    fields = ["sop", "order", "title"]
    inlines = [StepInline]
    autocomplete_fields = ["sop"]

    def _sop_of(self, flow):
        return flow.sop

    def has_module_permission(self, request):
        return False


class BranchInline(AgencyScopedInline, admin.TabularInline):
    model = Branch
    extra = 1
    fields = ["order", "label", "action", "step_no"]


@admin.register(Step)
class StepAdmin(AgencyScopedAdmin, LockedMixin, PlainErrorsAdmin, ImportExportModelAdmin):
    resource_classes = [StepResource]
    export_formats = SAFE_EXPORT_FORMATS
    form = StepForm
    list_display = ["no", "short_activity", "flow", "signs", "time_text", "sop_number"]
    list_filter = ["flow__sop__agency"]
    search_fields = ["activity", "flow__sop__number", "flow__sop__name"]
    inlines = [BranchInline]
    list_select_related = ["flow__sop"]
    fields = ["flow", "no", "activity", "actors", "desk", "signs", "requirements", "time_text", "output", "notes"]
    autocomplete_fields = ["flow"]

    def get_form(self, request, obj=None, **kwargs):
        request._step_sop_id = obj.flow.sop_id if obj else None
        return super().get_form(request, obj, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "actors":
            sop_id = getattr(request, "_step_sop_id", None)
            kwargs["queryset"] = Role.objects.filter(sop_id=sop_id) if sop_id else Role.objects.none()
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _sop_of(self, step):
        return step.flow.sop

    @admin.display(description="kegiatan")
    def short_activity(self, step):
        return step.activity[:80]

    @admin.display(description="nomor SOP")
    def sop_number(self, step):
        return step.flow.sop.number
