from django.contrib import admin

from cases.models import AuditEntry, Case, CaseDocument, CaseStep, Disposition, Person, PersonChange


class PersonChangeInline(admin.TabularInline):
    model = PersonChange
    extra = 0
    fields = ["at", "user", "created", "changes"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "nik", "birth_date", "agency", "without_papers"]
    list_filter = ["agency", "without_papers", "sex"]
    search_fields = ["name", "nik", "kk_number"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [PersonChangeInline]

    def has_delete_permission(self, request, obj=None):
        return False  # persons are never hard-deleted


class CaseDocumentInline(admin.TabularInline):
    model = CaseDocument
    extra = 0
    fields = ["order", "name", "required", "received", "file", "uploaded_by", "uploaded_at"]
    readonly_fields = ["file", "uploaded_by", "uploaded_at"]


class CaseStepInline(admin.TabularInline):
    model = CaseStep
    extra = 0
    fields = ["position", "no", "desk", "status", "started_at", "due_at", "completed_at", "completed_by", "outcome"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["__str__", "agency", "sop", "applicant", "state", "created_at"]
    list_filter = ["agency", "state", "sifat", "channel"]
    search_fields = ["number", "applicant__name", "beneficiary__name", "applicant__nik"]
    readonly_fields = [
        "number",
        "state",
        "sop",
        "created_by",
        "created_at",
        "registered_at",
        "returned_at",
        "returned_by",
    ]
    raw_id_fields = ["applicant", "beneficiary"]
    inlines = [CaseDocumentInline, CaseStepInline]

    def has_delete_permission(self, request, obj=None):
        return False  # cases are never hard-deleted


class ReadOnlyAdmin(admin.ModelAdmin):
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
