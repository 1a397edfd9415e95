"""django-import-export resources: SOP identity rows and step rows (CSV/XLSX)."""

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets

from agencies.admin_scope import ScopedResource
from agencies.models import Agency
from sop_catalog.models import SOP, Flow, Role, Step
from sop_catalog.signals import one_drop_per_sop
from sop_catalog.timeparse import parse_time
from sop_portal.imports import RoundTripResource, RowRefused


class OneDropPerSOP:
    """The rows of one import drop each SOP's cached PDF once, inside the import's transaction (a
    preview rolls the touch back with its rows). Mixed in before resources.ModelResource."""

    def import_data_inner(self, *args, **kwargs):
        with one_drop_per_sop():
            return super().import_data_inner(*args, **kwargs)


class AgencyWidget(widgets.ForeignKeyWidget):
    def __init__(self):
        super().__init__(Agency, field="slug")

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except Agency.DoesNotExist as exc:
            raise RowRefused(f"Instansi “{value}” tidak dikenal; tulis kode URL instansi, mis. lumajang.") from exc


class SOPResource(ScopedResource, OneDropPerSOP, RoundTripResource, resources.ModelResource):
    agency = fields.Field(attribute="agency", column_name="agency", widget=AgencyWidget())

    class Meta:
        model = SOP
        fields = [
            "agency",
            "slug",
            "version",
            "number",
            "name",
            "unit",
            "created",
            "revised",
            "effective",
            "approved_by_name",
            "approved_by_title",
            "approved_by_nip",
            "warning",
            "recording",
            "status",
            "source",
        ]
        import_id_fields = ["slug", "version"]
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def before_save_instance(self, instance, row, **kwargs):
        stored = SOP.objects.filter(pk=instance.pk).values("locked", "status").first() if instance.pk else None
        if stored and stored["locked"]:
            raise ValidationError(
                f"SOP {instance.slug} v{instance.version} sudah dipakai permohonan; salin sebagai versi baru."
            )
        # The status moves only through Terbitkan and "Nyatakan tidak berlaku" (sop_catalog.services):
        # an imported SOP starts as konsep, and an import never publishes or retires one.
        if stored is None:
            instance.status, instance.is_current = SOP.DRAFT, False
        elif instance.status != stored["status"]:
            raise ValidationError(
                f"SOP {instance.slug} v{instance.version}: status tidak diubah lewat impor; gunakan Terbitkan atau "
                "Nyatakan tidak berlaku pada halaman SOP."
            )


def version_of(row):
    """The row's `version` cell as a number (XLSX may give 2 or 2.0, CSV "2"); None when empty."""
    value = row.get("version")
    if value in (None, ""):
        return None
    try:
        return int(float(str(value).strip()))
    except ValueError as exc:
        raise RowRefused(f"Versi “{value}” bukan angka.") from exc


class FlowWidget(widgets.ForeignKeyWidget):
    """A flow named by the row's `sop` slug and `version` (the current version when the version cell
    is empty) and its order number."""

    def __init__(self):
        super().__init__(Flow, field="order")

    def get_lookup_kwargs(self, value, row, **kwargs):
        version = version_of(row)
        by_version = {"sop__version": version} if version is not None else {"sop__is_current": True}
        return {"sop__slug": row.get("sop"), **by_version, "order": value}

    def get_queryset(self, value, row, *args, **kwargs):
        return Flow.objects.select_related("sop")  # the step's checks read the SOP (locked, roles)

    def clean(self, value, row=None, **kwargs):
        """The flow, looked up once per import for all the rows of the same flow (`known` is emptied by
        StepResource.before_import); a flow not found is looked up again, as before."""
        known = getattr(self, "known", None)
        key = (row.get("sop"), version_of(row), str(value)) if row is not None else None
        if known is not None and key in known:
            return known[key]
        flow = self._clean(value, row, **kwargs)
        if known is not None and flow is not None:
            known[key] = flow
        return flow

    def _clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except (Flow.DoesNotExist, ValueError, TypeError) as exc:
            version = version_of(row)
            named = f"SOP “{row.get('sop')}”" + (f" versi {version}" if version is not None else " (versi terkini)")
            raise RowRefused(f"Alur {value} dari {named} tidak ditemukan.") from exc


class StepResource(ScopedResource, OneDropPerSOP, RoundTripResource, resources.ModelResource):
    sop = fields.Field(column_name="sop", readonly=True)
    version = fields.Field(column_name="version", readonly=True)
    flow = fields.Field(attribute="flow", column_name="flow", widget=FlowWidget())
    actors = fields.Field(column_name="actors", readonly=True)

    class Meta:
        model = Step
        fields = [
            "sop",
            "version",
            "flow",
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
        export_order = fields
        import_id_fields = ["flow", "no"]
        clean_model_instances = True
        skip_unchanged = False

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("flow__sop")
            .prefetch_related("actors")
            .order_by("flow__sop__slug", "flow__order", "no")
        )

    def dehydrate_sop(self, step):
        return step.flow.sop.slug

    def dehydrate_version(self, step):
        return step.flow.sop.version

    def dehydrate_flow(self, step):
        return step.flow.order

    def dehydrate_actors(self, step):
        return ", ".join(role.label for role in sorted(step.actors.all(), key=lambda r: r.order))

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self._roles_of_sop = {}  # the roles of each SOP, read once per import (three uses per row)
        self.fields["flow"].widget.known = {}  # each flow once per import
        self._steps_of_flow = {}  # each flow's stored steps in one query, not one per row
        self._stored = {}  # (flow id, no, signs) as stored, of each step handed out from those

    def get_instance(self, instance_loader, row):
        """The stored step of the row's flow and number, from one read of the flow's steps (with their
        branches, which Step.clean reads). Each is handed out once: a second row naming the same step
        reads it from the database, as import-export's loader would."""
        steps_of_flow = getattr(self, "_steps_of_flow", None)
        if steps_of_flow is None or any(self.fields[f].column_name not in row for f in self.get_import_id_fields()):
            return super().get_instance(instance_loader, row)
        flow, no = self.fields["flow"].clean(row), self.fields["no"].clean(row)
        if flow is None or no is None:
            return None
        if flow.pk not in steps_of_flow:
            stored = self.get_queryset().filter(flow=flow).prefetch_related("branches")
            steps_of_flow[flow.pk] = {step.no: step for step in stored}
        step = steps_of_flow[flow.pk].pop(no, None)
        if step is None:
            return super().get_instance(instance_loader, row)
        self._stored[step.pk] = (step.flow_id, step.no, step.signs)
        return step

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """Step's constraints cost a query each per row; those a row cannot break are not asked:
        - `unique_step_no` for the first row of a stored step, at its stored flow and number (the
          database holds the step there, and the number is unique in the flow);
        - `one_signing_step_per_flow` for a step that does not sign, or the first row of a stored step
          that signed in the same flow (the database holds no other signing step there: a row that
          gave one the mark since was checked, and refused).
        Any other row (a new step, a step's second row, a new signing mark) is checked as before."""
        stored = getattr(self, "_stored", {}).pop(instance.pk, None) if instance.pk else None
        held = set()
        if stored is not None and stored[:2] == (instance.flow_id, instance.no):
            held.add("unique_step_no")
        if not instance.signs or (stored is not None and stored[0] == instance.flow_id and stored[2]):
            held.add("one_signing_step_per_flow")
        instance.held_constraints = held
        try:
            super().validate_instance(instance, import_validation_errors, validate_unique)
        finally:
            del instance.held_constraints

    def _actor_roles(self, step, row):
        labels = [label.strip() for label in (row.get("actors") or "").split(",") if label.strip()]
        known = getattr(self, "_roles_of_sop", None)
        if known is None:
            known = self._roles_of_sop = {}
        sop_id = step.flow.sop_id
        if sop_id not in known:
            known[sop_id] = {role.label: role for role in Role.objects.filter(sop_id=sop_id)}
        roles = known[sop_id]
        unknown = [label for label in labels if label not in roles]
        if unknown:
            raise ValidationError(f"Pelaksana tidak ada di kolom pelaksana SOP: {', '.join(unknown)}.")
        return [roles[label] for label in labels]

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        if instance.flow_id:  # Step.clean checks the signing mark against the actors of the row
            instance.pending_actor_desks = [role.desk for role in self._actor_roles(instance, row)]

    def before_save_instance(self, instance, row, **kwargs):
        if instance.flow.sop.locked:
            raise ValidationError(
                f"SOP {instance.flow.sop.slug} sudah dipakai permohonan; salin sebagai versi baru dulu."
            )
        self._actor_roles(instance, row)
        parsed = parse_time(instance.time_text)
        instance.time_min, instance.time_max, instance.time_unit = parsed.min, parsed.max, parsed.unit or ""

    def after_save_instance(self, instance, row, **kwargs):
        if not kwargs.get("dry_run"):
            instance.actors.set(self._actor_roles(instance, row))
