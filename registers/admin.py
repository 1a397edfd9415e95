from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import Q
from import_export.admin import ImportMixin
from import_export.forms import ConfirmImportForm, ImportForm

from agencies.admin_scope import AgencyScopedAdmin, AgencyScopedInline, scope
from cases.admin import ReadOnlyAdmin
from cases.crypto import blind_index
from cases.nik import normalize_number
from registers import services
from registers.models import Access, Check, Entry, Period, Register
from registers.resources import IMPORT_FORMATS, EntryResource
from sop_portal.imports import PlainErrorsAdmin


class PeriodForm(forms.ModelForm):
    class Meta:
        model = Period
        fields = ["register", "label", "valid_from", "is_current"]

    def _post_clean(self):
        # Marking a period current replaces the current one when saved (save_model/save_formset);
        # validating "one current per register" before that would refuse every replacement.
        current = self.cleaned_data.get("is_current")
        self.cleaned_data["is_current"] = False
        super()._post_clean()
        self.cleaned_data["is_current"] = current
        self.instance.is_current = bool(current)


class PeriodInline(AgencyScopedInline, admin.TabularInline):
    model = Period
    form = PeriodForm
    extra = 0
    fields = ["label", "valid_from", "is_current", "row_count"]
    readonly_fields = ["row_count"]
    show_change_link = True


@admin.register(Register)
class RegisterAdmin(AgencyScopedAdmin, admin.ModelAdmin):
    list_display = ["name", "code", "agency"]
    list_filter = ["agency"]
    search_fields = ["name", "code"]
    inlines = [PeriodInline]

    def save_formset(self, request, form, formset, change):
        with transaction.atomic():
            # A period newly marked current replaces the old one: unmark the others first.
            marked = [
                f.instance
                for f in formset.forms
                if f.cleaned_data.get("is_current") and not f.cleaned_data.get("DELETE")
            ]
            if marked:
                Period.objects.filter(register=form.instance, is_current=True).exclude(
                    pk__in=[p.pk for p in marked if p.pk]
                ).update(is_current=False)
            super().save_formset(request, form, formset, change)


@admin.register(Period)
class PeriodAdmin(AgencyScopedAdmin, admin.ModelAdmin):
    list_display = ["register", "label", "valid_from", "is_current", "row_count", "created_at"]
    list_filter = ["register__agency", "register", "is_current"]
    readonly_fields = ["row_count", "created_at"]
    form = PeriodForm

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            if obj.is_current:
                Period.objects.filter(register=obj.register, is_current=True).exclude(pk=obj.pk).update(
                    is_current=False
                )
            super().save_model(request, obj, form, change)


class EntryImportForm(ImportForm):
    period = forms.ModelChoiceField(queryset=Period.objects.none(), label="periode register")
    field_order = ["period", "resource", "import_file", "format"]


class EntryConfirmForm(ConfirmImportForm):
    period = forms.ModelChoiceField(queryset=Period.objects.none(), widget=forms.HiddenInput())


@admin.register(Entry)
class EntryAdmin(AgencyScopedAdmin, PlainErrorsAdmin, ImportMixin, admin.ModelAdmin):
    resource_classes = [EntryResource]
    import_form_class = EntryImportForm
    confirm_form_class = EntryConfirmForm
    import_formats = IMPORT_FORMATS
    list_display = ["name", "nik_masked", "kk_masked", "desil", "village", "district", "period"]
    list_filter = ["period__register", "period"]
    list_select_related = ["period__register"]
    search_fields = ["name"]
    search_help_text = "Nama (sebagian) atau NIK/KK lengkap 16 angka."
    fields = ["period", "nik", "kk_number", "name", "address", "village", "district", "desil"]
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        digits = normalize_number(search_term)
        if digits.isdigit() and len(digits) == 16:
            digest = blind_index(digits)
            return queryset.filter(Q(nik_hash=digest) | Q(kk_hash=digest)), False
        return super().get_search_results(request, queryset, search_term)

    def _periods(self, request):
        return scope(Period.objects.select_related("register"), request.user)

    def create_import_form(self, request):
        form = super().create_import_form(request)
        form.fields["period"].queryset = self._periods(request)
        return form

    def create_confirm_form(self, request, import_form=None):
        form = super().create_confirm_form(request, import_form)
        form.fields["period"].queryset = self._periods(request)
        return form

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["period"] = import_form.cleaned_data["period"].pk
        return initial

    def get_import_resource_kwargs(self, request, **kwargs):
        resource_kwargs = super().get_import_resource_kwargs(request, **kwargs)
        form = kwargs.get("form")
        if form is not None and form.is_bound and form.is_valid():
            resource_kwargs["period"] = form.cleaned_data["period"]
        return resource_kwargs

    def has_import_permission(self, request):
        return request.user.has_perm("registers.add_entry")

    def has_add_permission(self, request):
        return False  # rows come from the extracts, through the import

    def has_change_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        entry = self.get_object(request, object_id)
        if entry is not None:
            services.log_access(user=request.user, entries=[entry], via="admin", ip=request.META.get("REMOTE_ADDR"))
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Check)
class CheckAdmin(AgencyScopedAdmin, admin.ModelAdmin):
    list_display = ["step", "register_code", "expectation"]
    list_filter = ["register_code", "expectation", "step__flow__sop__agency"]
    raw_id_fields = ["step"]

    def has_add_permission(self, request):
        return request.user.is_superuser  # SOP data: loaded from fixtures/register_checks.json

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Access)
class AccessAdmin(ReadOnlyAdmin):
    list_display = ["at", "entry", "user", "via", "ip_address"]
    list_filter = ["via"]
    search_fields = ["user__username"]
    list_select_related = ["entry", "user"]
    date_hierarchy = "at"
