from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from import_export.admin import ImportExportModelAdmin
from import_export.formats import base_formats

from agencies.admin_scope import AgencyScopedAdmin, AgencyScopedInline, scope
from agencies.models import Agency
from sop_catalog import authoring
from sop_catalog.flowchart import format_standard, layout_flow, total_time
from sop_catalog.models import (
    DESK_CHOICES,
    ONE_SIGNING_STEP,
    PARTIAL_DATE_RE,
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
from sop_catalog.services import (
    LifecycleError,
    cases_in_flight,
    copy_to_agency,
    create_new_version,
    publish_errors,
    publish_version,
    retire,
)
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
            return "simpan dulu, lalu susun langkahnya"
        url = reverse("admin:sop_catalog_flow_author", args=[flow.pk])
        return format_html('<a href="{}" class="button">{} langkah — susun</a>', url, flow.steps.count())


class DeskFilter(admin.SimpleListFilter):
    title = "meja"
    parameter_name = "desk"

    def lookups(self, request, model_admin):
        return DESK_CHOICES

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(roles__desk=self.value()).distinct()
        return queryset


class PublishForm(forms.Form):
    revised = forms.RegexField(
        PARTIAL_DATE_RE, label="Tanggal revisi", help_text="TTTT-BB-HH atau TTTT-BB.", max_length=10
    )
    effective = forms.RegexField(
        PARTIAL_DATE_RE, label="Tanggal efektif", help_text="TTTT-BB-HH atau TTTT-BB.", max_length=10
    )


class CopyToAgencyForm(forms.Form):
    agency = forms.ModelChoiceField(Agency.objects.all(), label="Instansi tujuan")


@admin.register(SOP)
class SOPAdmin(AgencyScopedAdmin, LockedMixin, PlainErrorsAdmin, ImportExportModelAdmin):
    resource_classes = [SOPResource]
    export_formats = SAFE_EXPORT_FORMATS
    list_display = ["number", "name", "agency", "version", "is_current", "status", "locked", "lifecycle_link"]
    list_display_links = ["number", "name"]
    list_filter = ["agency", "status", "is_current", "locked", DeskFilter]
    search_fields = ["number", "name", "slug"]
    readonly_fields = [
        "version",
        "status",
        "is_current",
        "locked",
        "published_at",
        "published_by",
        "updated_at",
        "public_link",
        "lifecycle_link",
    ]
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
    actions = ["copy_as_new_version", "copy_to_other_agency", "retire_sops"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "agency",
                    "unit",
                    "org_unit",
                    "number",
                    "name",
                    "slug",
                    "status",
                    "lifecycle_link",
                    "public_link",
                ]
            },
        ),
        ("Tanggal", {"fields": ["created", "revised", "effective"]}),
        ("Disahkan oleh", {"fields": ["approved_by_name", "approved_by_title", "approved_by_nip"]}),
        (None, {"fields": ["warning", "recording", "source"]}),
        ("Versi", {"fields": ["version", "is_current", "locked", "published_at", "published_by", "updated_at"]}),
    ]

    @admin.display(description="halaman publik")
    def public_link(self, sop):
        if not sop.pk or sop.is_draft:
            return "- (konsep tidak tampil di katalog)" if sop.pk else "-"
        url = sop.get_absolute_url() if sop.is_current else sop.get_version_url()
        return format_html('<a href="{}" target="_blank">{}</a>', url, url)

    @admin.display(description="terbit")
    def lifecycle_link(self, sop):
        if not sop.pk:
            return "konsep: simpan, isi langkahnya, lalu terbitkan"
        if sop.is_current and sop.status == SOP.ACTIVE:
            return "berlaku"
        url = reverse("admin:sop_catalog_sop_publish", args=[sop.pk])
        return format_html('<a href="{}" class="button">Terbitkan…</a>', url)

    def get_urls(self):
        publish = self.admin_site.admin_view(self.publish_view)
        return [path("<path:object_id>/terbitkan/", publish, name="sop_catalog_sop_publish"), *super().get_urls()]

    def publish_view(self, request, object_id):
        """Terbitkan: the checks, the cases that keep the old version, the dates, then publish."""
        sop = self.get_object(request, object_id)
        if sop is None:
            raise Http404("SOP tidak ditemukan.")
        if not super(LockedMixin, self).has_change_permission(request, sop):
            raise PermissionDenied
        today = timezone.localdate().isoformat()
        errors = publish_errors(sop)
        form = PublishForm(request.POST or None, initial={"revised": today, "effective": today})
        if request.method == "POST" and not errors and form.is_valid():
            try:
                previous = publish_version(
                    sop,
                    revised=form.cleaned_data["revised"],
                    effective=form.cleaned_data["effective"],
                    by=request.user.get_username(),
                )
            except LifecycleError as exc:
                errors = [str(exc)]
            else:
                note = f"; versi {previous.version} tidak lagi dipakai permohonan baru" if previous else ""
                self.message_user(
                    request, f"{sop.slug} versi {sop.version} terbit dan berlaku{note}.", messages.SUCCESS
                )
                return redirect(reverse("admin:sop_catalog_sop_change", args=[sop.pk]))
        current = SOP.objects.filter(slug=sop.slug, is_current=True).exclude(pk=sop.pk).first()
        return TemplateResponse(
            request,
            "admin/sop_catalog/publish.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Terbitkan {sop}",
                "sop": sop,
                "opts": self.model._meta,
                "errors": errors,
                "form": form,
                "current": current,
                "in_flight": cases_in_flight(sop.slug) if current else 0,
                "step_count": Step.objects.filter(flow__sop=sop).count(),
            },
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change and not form.instance.flows.exists():
            Flow.objects.create(sop=form.instance, order=1)

    def response_add(self, request, obj, post_url_continue=None):
        """A new SOP goes on to its steps: the editor of its first flow."""
        flow = obj.flows.order_by("order", "pk").first()
        if flow is None or "_addanother" in request.POST or "_continue" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        self.message_user(request, f"{obj} disimpan sebagai konsep; sekarang susun langkahnya.", messages.SUCCESS)
        return redirect(reverse("admin:sop_catalog_flow_author", args=[flow.pk]))

    def save_model(self, request, obj, form, change):
        if not change:
            # A new SOP starts as a draft: not in the catalog, not at the front desk, until published.
            obj.status, obj.is_current = SOP.DRAFT, False
        super().save_model(request, obj, form, change)

    @admin.action(description="Salin sebagai versi baru (konsep)")
    def copy_as_new_version(self, request, queryset):
        for sop in queryset:
            try:
                new = create_new_version(sop)
            except LifecycleError as exc:
                self.message_user(request, str(exc), messages.WARNING)
                continue
            self.message_user(
                request,
                format_html(
                    "{}: konsep versi {} dibuat; versi {} tetap berlaku sampai konsep itu diterbitkan. "
                    '<a href="{}">Ubah konsep</a>',
                    sop.slug,
                    new.version,
                    sop.version,
                    reverse("admin:sop_catalog_sop_change", args=[new.pk]),
                ),
                messages.SUCCESS,
            )

    @admin.action(description="Nyatakan tidak berlaku")
    def retire_sops(self, request, queryset):
        for sop in queryset.filter(is_current=True, status=SOP.ACTIVE):
            retire(sop)
            self.message_user(request, f"{sop}: tidak berlaku lagi (keluar dari katalog dan meja depan).")

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


def _reading(text):
    """The time standard as the catalog reads it ("10 menit", "1–3 hari"), for the editor."""
    parsed = parse_time(text)
    if parsed.max is None:
        return ""
    return format_standard(Step(time_min=parsed.min, time_max=parsed.max, time_unit=parsed.unit))


class StepForm(forms.ModelForm):
    class Meta:
        model = Step
        fields = [
            "no",
            "activity",
            "actors",
            "desk",
            "signs",
            "document",
            "requirements",
            "time_text",
            "output",
            "notes",
        ]
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
        "document",
        "requirements",
        "time_text",
        "time_standard",
        "output",
        "notes",
    ]
    readonly_fields = ["time_standard"]

    @admin.display(description="standar terbaca")
    def time_standard(self, step):
        return format_standard(step) or "-"

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

    def get_urls(self):
        author = self.admin_site.admin_view(self.author_view)
        return [path("<path:object_id>/susun/", author, name="sop_catalog_flow_author"), *super().get_urls()]

    def author_view(self, request, object_id):
        """Susun langkah: the flow's steps in one table (sop_catalog/authoring.py) with its flowchart."""
        flow = self.get_object(request, object_id)
        if flow is None:
            raise Http404("Alur tidak ditemukan.")
        editable = self.has_change_permission(request, flow)
        errors, preview_flow = [], flow
        if request.method == "POST":
            if not editable:
                raise PermissionDenied
            rows = authoring.rows_from_post(request.POST)
            errors = authoring.check_rows(flow, rows)
            action = request.POST.get("action", "save")
            if not errors and action == "preview":
                preview = self._preview_of_unsaved(flow, rows)
                if request.headers.get("X-Requested-With") == "fetch":
                    return HttpResponse(preview)
                return self._author_page(request, flow, rows, errors, editable, preview)
            if not errors:
                count = authoring.save_rows(flow, rows)
                self.message_user(request, f"{count} langkah disimpan dan dinomori ulang.", messages.SUCCESS)
                if action == "publish":
                    return redirect(reverse("admin:sop_catalog_sop_publish", args=[flow.sop_id]))
                return redirect(reverse("admin:sop_catalog_flow_author", args=[flow.pk]))
            if request.headers.get("X-Requested-With") == "fetch":
                return HttpResponse(format_html_join("", '<p class="errornote">{}</p>', ((e,) for e in errors)))
        else:
            rows = authoring.rows_of(flow)
        return self._author_page(request, flow, rows, errors, editable, self._preview(preview_flow))

    def _preview(self, flow):
        flow = Flow.objects.prefetch_related(
            Prefetch("steps", queryset=Step.objects.prefetch_related("actors", "branches").order_by("no"))
        ).get(pk=flow.pk)
        roles = list(flow.sop.roles.all())
        steps = list(flow.steps.all())
        for step in steps:
            step.standard = format_standard(step)
        context = {"f": {"flow": flow, "rows": layout_flow(steps, roles), "total": total_time(steps)}, "roles": roles}
        return render_to_string("sop_catalog/_flow_table.html", context)

    def _preview_of_unsaved(self, flow, rows):
        """The flowchart of rows not saved yet: written in a transaction that is rolled back."""
        with transaction.atomic():
            authoring.save_rows(flow, rows)
            html = self._preview(flow)
            transaction.set_rollback(True)
        return html

    def _author_page(self, request, flow, rows, errors, editable, preview):
        roles = list(flow.sop.roles.all())
        blank = max(3, 8 - len(rows))
        rows = rows + [authoring.StepRow(key=f"n{i}", pos=len(rows) + i) for i in range(1, blank + 1)]
        targets = [
            (f"row:{row.key}", f"ke langkah {no}" + (f": {row.activity[:40]}" if row.activity else ""))
            for no, row in enumerate(rows, start=1)
        ]
        for row in rows:
            slots = max(2, min(len(row.branches) + 1, authoring.MAX_BRANCHES))
            row.slots = row.branches + [authoring.BranchRow() for _ in range(slots - len(row.branches))]
            row.standard = _reading(row.time_text)
        return TemplateResponse(
            request,
            "admin/sop_catalog/flow_author.html",
            {
                **self.admin_site.each_context(request),
                "is_nav_sidebar_enabled": False,
                "title": f"Susun langkah: {flow.sop.name}",
                "opts": self.model._meta,
                "flow": flow,
                "sop": flow.sop,
                "roles": roles,
                "rows": rows,
                "documents": Step._meta.get_field("document").choices,
                "actions": authoring.ACTIONS,
                "targets": targets,
                "errors": errors,
                "editable": editable,
                "preview": preview,
            },
        )


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
    fields = [
        "flow", "no", "activity", "actors", "desk", "signs", "document", "requirements", "time_text", "output", "notes"
    ]  # fmt: skip
    autocomplete_fields = ["flow"]

    def get_export_queryset(self, request):
        """The changelist's steps (its search and filters), each with its actors read in the same few
        queries (the export's `actors` column read them one step at a time)."""
        return super().get_export_queryset(request).prefetch_related("actors")

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
