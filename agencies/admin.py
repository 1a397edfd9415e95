import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format

from agencies import org_chart
from agencies.admin_scope import AgencyScopedAdmin, AgencyScopedInline, restrict_system_admins
from agencies.models import Agency, Holiday, Official, Position, Unit, User, overlap_message, periods_overlap
from cases.uploads import UploadRefused, check_logo


class PositionInline(AgencyScopedInline, admin.TabularInline):
    model = Position
    extra = 0
    fields = ["order", "title", "desk", "unit"]


class UnitInline(AgencyScopedInline, admin.TabularInline):
    model = Unit
    fk_name = "agency"
    extra = 0
    fields = ["order", "name", "kind", "parent", "demo"]


class AgencyForm(forms.ModelForm):
    class Meta:
        model = Agency
        fields = ["logo"]  # the admin adds the fields of its fieldsets

    def clean_logo(self):
        """The letterhead logo goes into every PDF: a PNG Pillow verifies, or an SVG without script or outside ref."""
        logo = self.cleaned_data.get("logo")
        if logo and hasattr(logo, "content_type"):  # a new upload, not the stored file
            try:
                check_logo(logo)
            except UploadRefused as exc:
                raise forms.ValidationError(str(exc)) from exc
        return logo


@admin.register(Agency)
class AgencyAdmin(AgencyScopedAdmin, admin.ModelAdmin):
    form = AgencyForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    list_display = ["name", "slug", "code", "region"]
    search_fields = ["name", "region", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [UnitInline, PositionInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "code", "region"]}),
        ("Kontak (kop surat)", {"fields": ["address", "postal_code", "phone", "email", "website"]}),
        ("Kop surat", {"fields": ["logo", "letterhead"]}),
        ("Nomor surat", {"fields": ["unit_code", "letter_number_pattern", "letter_number_yearly_reset"]}),
        ("Waktu kerja", {"fields": ["time_zone", "office_opens", "office_closes", "workdays"]}),
    ]

    def has_add_permission(self, request):
        return request.user.is_superuser  # an agency admin manages its own agency, never makes one

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class OfficialForm(forms.ModelForm):
    def _post_clean(self):
        self.instance._overlap_checked_by_formset = True
        super()._post_clean()


class OfficialFormSet(forms.BaseInlineFormSet):
    """Holders of one position: two definitive holders, or two Plt./Plh., at the same time are refused
    (at any moment exactly one holder acts); a Plt. or Plh. over the definitive holder is the rule."""

    def clean(self):
        super().clean()
        rows = [
            form.instance
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.instance.name
        ]
        on_page = {form.instance.pk for form in self.forms if form.instance.pk}
        if self.instance.pk:  # holders not on the page (none, normally) as they are stored
            rows += list(self.instance.officials.exclude(pk__in=on_page))
        for i, a in enumerate(rows):
            for b in rows[i + 1 :]:
                message = overlap_message(a, b)
                if message:
                    raise forms.ValidationError(message)


def _during(start: datetime.date, end: datetime.date | None) -> str:
    """'Selama 1–31 Desember 2026', 'Selama 28 November – 5 Desember 2026', 'Sejak 1 Desember 2026'."""
    if end is None:
        return f"Sejak {date_format(start, 'j F Y')}"
    if (start.year, start.month) == (end.year, end.month):
        return f"Selama {start.day}–{date_format(end, 'j F Y')}"
    if start.year == end.year:
        return f"Selama {date_format(start, 'j F')} – {date_format(end, 'j F Y')}"
    return f"Selama {date_format(start, 'j F Y')} – {date_format(end, 'j F Y')}"


def acting_over_messages(acting: Official) -> list[str]:
    """A Plt. or Plh. entered over a definitive holder: who acts in the period they share, and that the
    definitive holder does not hold the desk then (agencies.models.acting_holder). A definitive holder
    appointed after the Plt./Plh. began takes over from them, so is not named."""
    if not acting.acting or acting.start is None:
        return []
    found = []
    definitive = acting.position.officials.filter(acting=Official.DEFINITIVE).exclude(pk=acting.pk)
    for holder in definitive.order_by("start", "pk"):
        if holder.start is not None and holder.start > acting.start:
            continue
        if not periods_overlap(acting.start, acting.end, holder.start, holder.end):
            continue
        ends = [day for day in (acting.end, holder.end) if day is not None]
        found.append(
            f"{_during(acting.start, min(ends) if ends else None)}, yang bertindak sebagai "
            f"{acting.position.title} adalah {acting}; {holder.name} tidak menjalankan jabatan ini pada periode itu."
        )
    return found


class OfficialInline(AgencyScopedInline, admin.TabularInline):
    model = Official
    form = OfficialForm
    formset = OfficialFormSet
    extra = 0
    fields = ["name", "nip", "rank", "acting", "start", "end", "user"]
    autocomplete_fields = ["user"]


@admin.register(Unit)
class UnitAdmin(AgencyScopedAdmin, admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "agency", "demo"]
    list_filter = ["agency", "kind", "demo"]
    search_fields = ["name"]
    fields = ["agency", "name", "kind", "parent", "order", "demo"]


@admin.register(Position)
class PositionAdmin(AgencyScopedAdmin, admin.ModelAdmin):
    list_display = ["title", "agency", "desk", "unit", "holder_today"]
    list_filter = ["agency", "desk", "unit__kind"]
    search_fields = ["title", "unit__name", "officials__name", "officials__nip"]
    list_select_related = ["agency", "unit"]
    inlines = [OfficialInline]
    change_list_template = "admin/agencies/position/change_list.html"

    @admin.display(description="menjabat hari ini")
    def holder_today(self, obj):
        holder = obj.holder_on(timezone.localdate())
        return str(holder) if holder else "— kosong —"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("officials")

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is not Official:
            return
        saved = [*formset.new_objects, *(obj for obj, _fields in formset.changed_objects)]
        for official in saved:
            for message in acting_over_messages(official):
                messages.warning(request, message)

    def get_urls(self):
        extra = [
            path(
                "hari-ini/",
                self.admin_site.admin_view(self.today_view),
                name="agencies_position_today",
            )
        ]
        return extra + super().get_urls()

    def today_view(self, request):
        """Who holds what today, who acts for whom, and the positions SOP steps need that nobody holds."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        agencies = Agency.objects.order_by("name")
        if not request.user.is_superuser:
            agencies = agencies.filter(pk=request.user.agency_id)
        context = {
            **self.admin_site.each_context(request),
            "title": "Susunan jabatan hari ini",
            "opts": self.model._meta,
            "day": timezone.localdate(),
            "agencies": [org_chart.today(agency) for agency in agencies],
        }
        return TemplateResponse(request, "admin/agencies/position/today.html", context)


@admin.register(User)
class UserAdmin(AgencyScopedAdmin, BaseUserAdmin):
    list_display = ["username", "get_full_name", "agency", "desk_list", "is_active"]
    list_filter = ["agency", "groups", "is_active", "is_staff"]
    search_fields = ["username", "first_name", "last_name", "nip", "email"]
    fieldsets = BaseUserAdmin.fieldsets + (("Instansi", {"fields": ["agency", "nip"]}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + (("Instansi", {"fields": ["agency", "nip", "groups"]}),)

    @admin.display(description="meja")
    def desk_list(self, obj):
        return ", ".join(obj.desk_labels)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("agency").prefetch_related("groups")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        # An admin desk manages the people of its agency, not the powers of the system.
        hidden = {"is_superuser", "user_permissions", "is_staff", "agency"}
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
            for name, options in fieldsets
        ]

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.agency_id = request.user.agency_id
            if not change:
                obj.is_staff = False
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        """Groups the editor may not grant (the admin desk) are not among the choices: they stay as
        they were, so an admin editing a user, itself included, never takes them away."""
        field = form.fields.get("groups")
        kept = []
        if change and field is not None:
            kept = list(form.instance.groups.exclude(pk__in=field.queryset.values("pk")))
        super().save_related(request, form, formsets, change)
        if kept:
            form.instance.groups.add(*kept)


@admin.register(Holiday)
class HolidayAdmin(AgencyScopedAdmin, admin.ModelAdmin):
    list_display = ["date", "name", "agency"]
    list_filter = ["agency"]
    date_hierarchy = "date"
    search_fields = ["name"]


restrict_system_admins()
