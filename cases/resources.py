"""Exports of cases and steps (django-import-export), scoped to one agency."""

from import_export import fields, resources


class CaseExport(resources.Resource):
    number = fields.Field(attribute="number", column_name="nomor registrasi")
    service = fields.Field(attribute="sop__name", column_name="layanan")
    sop_number = fields.Field(attribute="sop__number", column_name="nomor SOP")
    state = fields.Field(column_name="status")
    sifat = fields.Field(column_name="sifat")
    channel = fields.Field(column_name="saluran")
    applicant = fields.Field(attribute="applicant__name", column_name="pemohon")
    applicant_nik = fields.Field(attribute="applicant__nik", column_name="NIK pemohon")
    beneficiary = fields.Field(attribute="beneficiary__name", column_name="penerima manfaat")
    beneficiary_nik = fields.Field(attribute="beneficiary__nik", column_name="NIK penerima manfaat")
    registered_at = fields.Field(attribute="registered_at", column_name="didaftarkan")
    closed_at = fields.Field(attribute="closed_at", column_name="ditutup")

    NIK_COLUMNS = {"NIK pemohon", "NIK penerima manfaat"}

    def __init__(self, *, include_nik=False, **kwargs):
        super().__init__(**kwargs)
        self.include_nik = include_nik

    def get_export_fields(self, selected_fields=None):
        export = super().get_export_fields(selected_fields)
        if self.include_nik:
            return export
        return [field for field in export if field.column_name not in self.NIK_COLUMNS]

    def dehydrate_state(self, case):
        return case.get_state_display()

    def dehydrate_sifat(self, case):
        return case.get_sifat_display()

    def dehydrate_channel(self, case):
        return case.get_channel_display()


class StepExport(resources.Resource):
    case = fields.Field(attribute="case__number", column_name="nomor registrasi")
    service = fields.Field(attribute="case__sop__name", column_name="layanan")
    step = fields.Field(column_name="langkah")
    activity = fields.Field(attribute="sop_step__activity", column_name="kegiatan")
    desk = fields.Field(column_name="meja")
    standard = fields.Field(attribute="sop_step__time_text", column_name="standar waktu")
    started_at = fields.Field(attribute="started_at", column_name="mulai")
    due_at = fields.Field(attribute="due_at", column_name="batas waktu")
    completed_at = fields.Field(attribute="completed_at", column_name="selesai")
    minutes = fields.Field(column_name="waktu nyata (menit)")
    within = fields.Field(column_name="sesuai standar")

    def dehydrate_step(self, step):
        return step.label

    def dehydrate_desk(self, step):
        return step.desk_label

    def dehydrate_minutes(self, step):
        return round(step.duration.total_seconds() / 60, 1) if step.duration else ""

    def dehydrate_within(self, step):
        if step.due_at is None or step.completed_at is None:
            return ""
        return "ya" if step.completed_at <= step.due_at else "tidak"
