import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import models

from agencies.admin_scope import AgencyScopedAdmin, AgencyScopedInline, restrict_system_admins
from agencies.models import Agency, Holiday, Official, Position, User
from cases.uploads import UploadRefused, check_logo


class PositionInline(AgencyScopedInline, admin.TabularInline):
    model = Position
    extra = 0
    fields = ["order", "title", "desk", "unit"]


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
    inlines = [PositionInline]
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


class OfficialInline(AgencyScopedInline, admin.TabularInline):
    model = Official
    extra = 0
    fields = ["name", "nip", "rank", "acting", "start", "end", "user"]
    autocomplete_fields = ["user"]


def overlapping_officials(position):
    """Pairs of officials of one position, of the same status (definitif, Plt., Plh.), whose periods
    overlap; an open start or end runs without limit."""
    officials = list(position.officials.order_by("start", "pk"))
    low, high = datetime.date.min, datetime.date.max
    return [
        (a, b)
        for i, a in enumerate(officials)
        for b in officials[i + 1 :]
        if a.acting == b.acting and (a.start or low) <= (b.end or high) and (b.start or low) <= (a.end or high)
    ]


def period_text(official):
    start = official.start.strftime("%d-%m-%Y") if official.start else "…"
    end = official.end.strftime("%d-%m-%Y") if official.end else "sekarang"
    return f"{official.name} ({start} s.d. {end})"


@admin.register(Position)
class PositionAdmin(AgencyScopedAdmin, admin.ModelAdmin):
    list_display = ["title", "agency", "desk", "unit"]
    list_filter = ["agency", "desk"]
    search_fields = ["title", "unit", "officials__name", "officials__nip"]
    inlines = [OfficialInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for a, b in overlapping_officials(form.instance):
            self.message_user(
                request,
                f"Masa jabatan tumpang tindih pada {form.instance.title}: {period_text(a)} dan {period_text(b)}. "
                "Periksa tanggal mulai dan selesai menjabat; surat memakai pejabat yang menjabat pada tanggalnya.",
                messages.WARNING,
            )


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
