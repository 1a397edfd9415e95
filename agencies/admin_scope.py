"""Agency walls in Django admin: one rule table and one mixin; superusers see everything.

Every model an admin page lists, offers in a choice, imports, exports or redirects to is named in
`AGENCY_PATHS` with the lookup from it to its agency ("agency", "flow__sop__agency", …): models that
belong to an agency through a parent (a flow, a step, a case step) are scoped through it. A model
missing from the table is refused (ImproperlyConfigured), and tests/test_admin_walls.py fails when a
ModelAdmin is registered for a model the table does not name.
"""

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.contenttypes import views as contenttype_views
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, ImproperlyConfigured, PermissionDenied, ValidationError
from django.db.models import UniqueConstraint
from django.forms import ModelChoiceField
from django.http import Http404

from agencies.desks import ADMIN
from sop_portal.routers import reading_from_replica

AGENCY_PATHS = {
    "agencies.Agency": "pk",
    "agencies.Unit": "agency",
    "agencies.Position": "agency",
    "agencies.Official": "position__agency",
    "agencies.User": "agency",
    "agencies.Holiday": "agency",
    "sop_catalog.SOP": "agency",
    "sop_catalog.LegalBasis": "sop__agency",
    "sop_catalog.Qualification": "sop__agency",
    "sop_catalog.RelatedSOP": "sop__agency",
    "sop_catalog.Equipment": "sop__agency",
    "sop_catalog.RequiredDocument": "sop__agency",
    "sop_catalog.Role": "sop__agency",
    "sop_catalog.Flow": "sop__agency",
    "sop_catalog.Step": "flow__sop__agency",
    "sop_catalog.Branch": "step__flow__sop__agency",
    "cases.Person": "agency",
    "cases.PersonChange": "person__agency",
    "cases.Case": "agency",
    "cases.CaseDocument": "case__agency",
    "cases.CaseStep": "case__agency",
    "cases.AuditEntry": "case__agency",
    "cases.Disposition": "case__agency",
    "cases.LetterTemplate": "agency",
    "cases.IssuedDocument": "case__agency",
    "cases.PersonAccess": "person__agency",
    "registers.Register": "agency",
    "registers.Period": "agency",
    "registers.Entry": "agency",
    "registers.Check": "step__flow__sop__agency",
    "registers.Access": "agency",
}
# Shared by every agency; offered in choices by their own rule (`shared_choices`).
SHARED = {"auth.Group", "auth.Permission"}
# System data, not an agency's: only a superuser opens these admin pages.
SUPERUSER_ONLY = {
    "auth.Group",
    "axes.AccessAttempt",
    "axes.AccessLog",
    "axes.AccessFailureLog",
    "otp_totp.TOTPDevice",
    "django_tasks_database.DBTaskResult",
}

OTHER_AGENCY = "Baris ini milik instansi lain; Anda hanya dapat mengubah data instansi Anda sendiri."


def agency_path(model) -> str:
    label = model._meta.label
    if label not in AGENCY_PATHS:
        raise ImproperlyConfigured(f"{label} has no agency rule in agencies.admin_scope.AGENCY_PATHS")
    return AGENCY_PATHS[label]


def shared_choices(queryset, user):
    if queryset.model._meta.label == "auth.Group":
        return queryset.exclude(name=ADMIN)  # an admin desk does not make other admins
    return queryset.none()  # single permissions are granted through the desk groups only


def scope(queryset, user):
    """The rows of `queryset` the user may see in admin: all for a superuser, else its agency's."""
    if user.is_superuser:
        return queryset
    if queryset.model._meta.label in SHARED:
        return shared_choices(queryset, user)
    if not user.agency_id:
        return queryset.none()
    return queryset.filter(**{agency_path(queryset.model): user.agency_id})


def agency_id_of(obj):
    """The agency id of a row, walking its AGENCY_PATHS lookup (None when a parent is missing)."""
    path = agency_path(type(obj))
    if path == "pk":
        return obj.pk
    *parents, last = path.split("__")
    for name in parents:
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return getattr(obj, f"{last}_id", None)


def allowed(user, obj) -> bool:
    return user.is_superuser or (user.agency_id is not None and agency_id_of(obj) == user.agency_id)


def clash_message(model, fields) -> str:
    labels = " dan ".join(str(model._meta.get_field(name).verbose_name) for name in fields)
    return f"Sudah ada {model._meta.verbose_name} lain dengan {labels} yang sama; ubah isiannya."


def skipped_constraint_errors(instance, in_form) -> list:
    """Errors of the constraints (other than plain unique ones) that Django's form validation skips
    because they read a field outside the form."""
    model = type(instance)
    outside = {f.name for f in model._meta.concrete_fields} - in_form
    errors = []
    for constraint in model._meta.constraints:
        if isinstance(constraint, UniqueConstraint) and constraint.condition is None:
            continue  # a plain unique rule: _get_unique_checks
        try:
            constraint.validate(model, instance)
        except ValidationError as exc:
            try:  # failed on the form's own fields: Django has said so already
                constraint.validate(model, instance, exclude=outside)
            except ValidationError:
                continue
            if constraint.violation_error_message != constraint.default_violation_error_message:
                errors.append(exc)
            elif isinstance(constraint, UniqueConstraint):
                errors.append(clash_message(model, constraint.fields))
            else:
                errors.append(f"Isian ini melanggar aturan data “{constraint.name}”.")
    return errors


def plain_clash_errors(model, errors) -> None:
    """Django's unique-clash text (its Indonesian says "… ini tidak ada") rewritten in place."""
    for error_list in errors.values():
        for i, error in enumerate(error_list.data):
            if isinstance(error, ValidationError) and error.code in ("unique", "unique_together"):
                fields = error.params.get("unique_check", ())
                error_list.data[i] = ValidationError(clash_message(model, fields), code=error.code)


def with_every_unique_check(form_class):
    """The form also checks the unique rules and constraints Django skips because a field is not in
    the form (read-only, hidden or set in save_model): a clash is a form error, never an IntegrityError.
    Every clash is said in plain Indonesian."""

    class CheckedForm(form_class):
        def _post_clean(self):
            super()._post_clean()
            instance, in_form = self.instance, set(self.fields)
            checks, _ = instance._get_unique_checks(include_meta_constraints=True)
            skipped = [(model, fields) for model, fields in checks if set(fields) - in_form]
            for field, messages in instance._perform_unique_checks(skipped).items():
                self.add_error(field if field in self.fields else None, messages)
            for error in skipped_constraint_errors(instance, in_form):
                self.add_error(None, error)
            plain_clash_errors(type(instance), self._errors)

    CheckedForm.__name__ = form_class.__name__
    return CheckedForm


class ScopedChoices:
    """Foreign-key and many-to-many choices hold only the editor's agency (forms and inlines)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scope(field.queryset, request.user)
            if db_field.related_model._meta.label == "agencies.Agency" and not request.user.is_superuser:
                field.initial = request.user.agency_id
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scope(field.queryset, request.user)
        return field


class ScopedRelatedFilter(admin.RelatedFieldListFilter):
    """A relation's list filter offering the related rows of the admin's agency (by the rule table,
    one small query; not a DISTINCT over the listed table, which may hold a million register rows)."""

    def field_choices(self, field, request, model_admin):
        queryset = scope(field.related_model._default_manager.all(), request.user)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return [(row.pk, str(row)) for row in queryset]


class AgencyScopedInline(ScopedChoices):
    """Every inline of an AgencyScopedAdmin is one of these (checked when the page is built)."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        user = request.user

        class ScopedFormSet(formset):
            def add_fields(self, form, index):
                # The hidden id of each row also names only the agency's rows.
                super().add_fields(form, index)
                field = form.fields.get(self.model._meta.pk.name)
                if isinstance(field, ModelChoiceField):
                    field.queryset = scope(field.queryset, user)

        ScopedFormSet.form = with_every_unique_check(formset.form)
        ScopedFormSet.__name__ = formset.__name__
        return ScopedFormSet


class AgencyScopedAdmin(ScopedChoices):
    """Lists, choices, filters, writes, imports and exports of one agency for an agency admin."""

    def get_queryset(self, request):
        return scope(super().get_queryset(request), request.user)

    def get_form(self, request, obj=None, **kwargs):
        return with_every_unique_check(super().get_form(request, obj, **kwargs))

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        for inline in inlines:
            if not isinstance(inline, AgencyScopedInline):
                raise ImproperlyConfigured(f"{type(inline).__name__} is not an AgencyScopedInline")
        return inlines

    def get_list_filter(self, request):
        """Relation filters list only the admin's agency's rows; the agency filter goes away."""
        filters = super().get_list_filter(request)
        if request.user.is_superuser:
            return filters
        scoped = []
        for item in filters:
            if isinstance(item, str):
                target = get_fields_from_path(self.model, item)[-1]
                if target.is_relation:
                    if target.related_model._meta.label == "agencies.Agency":
                        continue
                    item = (item, ScopedRelatedFilter)
            scoped.append(item)
        return scoped

    # Written rows are checked after they are saved (some take their agency from a parent in save()):
    # the admin's change form runs in one transaction, so a refusal undoes the write.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not allowed(request.user, obj):
            raise PermissionDenied(OTHER_AGENCY)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        written = [*getattr(formset, "new_objects", []), *(o for o, _ in getattr(formset, "changed_objects", []))]
        for instance in written:
            if type(instance)._meta.label in AGENCY_PATHS and not allowed(request.user, instance):
                raise PermissionDenied(OTHER_AGENCY)

    # django-import-export: the resource knows who imports (ScopedResource).
    def get_import_resource_kwargs(self, request, **kwargs):
        return {**super().get_import_resource_kwargs(request, **kwargs), "scope_user": request.user}

    def get_export_resource_kwargs(self, request, **kwargs):
        return {**super().get_export_resource_kwargs(request, **kwargs), "scope_user": request.user}

    # An export's rows are read from the replica, if there is one (sop_portal/routers.py).
    def get_export_data(self, file_format, request, queryset, **kwargs):
        with reading_from_replica():
            return super().get_export_data(file_format, request, queryset, **kwargs)


class ScopedResource:
    """An import-export resource that reads and writes only the importing admin's agency.

    Mixed in before `resources.ModelResource`; without `scope_user` (management commands, the
    loaders) it is unscoped.
    """

    def __init__(self, *args, scope_user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope_user = scope_user

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset if self.scope_user is None else scope(queryset, self.scope_user)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        if self.scope_user is not None and not allowed(self.scope_user, instance):
            errors = dict(import_validation_errors or {})
            errors[NON_FIELD_ERRORS] = [OTHER_AGENCY]
            raise ValidationError(errors)
        super().validate_instance(instance, import_validation_errors, validate_unique)


class SuperuserOnlyAdmin:
    """System pages (groups, login attempts, OTP devices): superusers only."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request, *args):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


def restrict_system_admins(site=admin.site):
    """Re-register the third-party ModelAdmins of SUPERUSER_ONLY behind SuperuserOnlyAdmin."""
    for model, model_admin in list(site._registry.items()):
        if model._meta.label in SUPERUSER_ONLY and not isinstance(model_admin, SuperuserOnlyAdmin):
            cls = type(model_admin)
            site.unregister(model)
            site.register(model, type(cls.__name__, (SuperuserOnlyAdmin, cls), {}))


def view_on_site(request, content_type_id, object_id):
    """/admin/r/<type>/<id>/: the admin's "view on site" redirect, only to rows the admin may see."""
    if not request.user.is_superuser:
        try:
            model = ContentType.objects.get_for_id(content_type_id).model_class()
        except ContentType.DoesNotExist as exc:
            raise Http404 from exc
        model_admin = admin.site._registry.get(model)
        if model_admin is None or not model_admin.has_view_or_change_permission(request):
            raise Http404
        try:
            visible = model_admin.get_queryset(request).filter(pk=object_id).exists()
        except (ValueError, ValidationError) as exc:
            raise Http404 from exc
        if not visible:
            raise Http404
    return contenttype_views.shortcut(request, content_type_id, object_id)
