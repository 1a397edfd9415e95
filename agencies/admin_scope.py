"""Admin-desk users manage their own agency only; superusers see everything."""


class AgencyScopedAdmin:
    """Filters the changelist and foreign-key choices to the admin's agency.

    `agency_path` is the lookup from the model to its agency ("agency", "case__agency", …).
    """

    agency_path = "agency"

    def _scoped(self, request):
        return not request.user.is_superuser

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self._scoped(request):
            return queryset.filter(**{self.agency_path: request.user.agency_id})
        return queryset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if self._scoped(request) and field is not None:
            model = db_field.related_model
            if model._meta.label == "agencies.Agency":
                field.queryset = field.queryset.filter(pk=request.user.agency_id)
            elif any(f.name == "agency" for f in model._meta.get_fields()):
                field.queryset = field.queryset.filter(agency_id=request.user.agency_id)
        return field
