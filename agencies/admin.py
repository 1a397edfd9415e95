from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from agencies.admin_scope import AgencyScopedAdmin, AgencyScopedInline, restrict_system_admins
from agencies.models import Agency, Holiday, Official, Position, User
from cases.uploads import UploadRefused, check_image, check_size, sniff


class PositionInline(AgencyScopedInline, admin.TabularInline):
    model = Position
    extra = 0
    fields = ["order", "title", "desk", "unit"]


class AgencyForm(forms.ModelForm):
    class Meta:
        model = Agency
        fields = ["logo"]  # the admin adds the fields of its fieldsets

    def clean_logo(self):
        """The letterhead logo goes into every PDF: the same content check as a scan, images only."""
        logo = self.cleaned_data.get("logo")
        if logo and hasattr(logo, "content_type"):  # a new upload, not the stored file
            try:
                check_size(logo)
                if sniff(logo) not in ("image/png", "image/jpeg"):
                    raise UploadRefused(f"Logo “{logo.name}” harus PNG atau JPEG (diperiksa dari isinya).")
                check_image(logo)
            except UploadRefused as exc:
                raise forms.ValidationError(str(exc)) from exc
        return logo


@admin.register(Agency)
class AgencyAdmin(AgencyScopedAdmin, admin.ModelAdmin):
    form = AgencyForm

    list_display = ["name", "slug", "code", "region"]
    search_fields = ["name", "region", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PositionInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "code", "region"]}),
        ("Kontak", {"fields": ["address", "phone", "email", "website"]}),
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


@admin.register(Position)
class PositionAdmin(AgencyScopedAdmin, admin.ModelAdmin):
    list_display = ["title", "agency", "desk", "unit"]
    list_filter = ["agency", "desk"]
    search_fields = ["title", "unit", "officials__name", "officials__nip"]
    inlines = [OfficialInline]


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


@admin.register(Holiday)
class HolidayAdmin(AgencyScopedAdmin, admin.ModelAdmin):
    list_display = ["date", "name", "agency"]
    list_filter = ["agency"]
    date_hierarchy = "date"
    search_fields = ["name"]


restrict_system_admins()
