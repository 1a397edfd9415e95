"""Exports of cases and steps (django-import-export), scoped to one agency.

Times are the agency's local time (its `time_zone`: WIB, WITA or WIT, named in the header), to the minute,
as real date-time values (date cells in XLSX); durations are numbers of minutes; headers are Indonesian.
"""

from zoneinfo import ZoneInfo

from import_export import fields, resources

ZONE_NAMES = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


def zone_name(time_zone):
    return ZONE_NAMES.get(time_zone, time_zone)


class LocalTimes:
    """Date-time columns in the agency's local time, without seconds, naive (as a spreadsheet holds them)."""

    TIME_COLUMNS: tuple[str, ...] = ()

    def __init__(self, *, time_zone="Asia/Jakarta", **kwargs):
        super().__init__(**kwargs)
        self.zone = ZoneInfo(time_zone)
        self.zone_label = zone_name(time_zone)

    def local(self, value):
        if value is None:
            return None
        return value.astimezone(self.zone).replace(tzinfo=None, second=0, microsecond=0)

    def get_export_headers(self, selected_fields=None):
        headers = super().get_export_headers(selected_fields)
        return [f"{header} ({self.zone_label})" if header in self.TIME_COLUMNS else header for header in headers]


class CaseExport(LocalTimes, resources.Resource):
    number = fields.Field(attribute="number", column_name="Nomor registrasi")
    service = fields.Field(attribute="sop__name", column_name="Layanan")
    sop_number = fields.Field(attribute="sop__number", column_name="Nomor SOP")
    state = fields.Field(column_name="Status")
    sifat = fields.Field(column_name="Sifat")
    channel = fields.Field(column_name="Saluran")
    applicant = fields.Field(attribute="applicant__name", column_name="Pemohon")
    applicant_nik = fields.Field(attribute="applicant__nik", column_name="NIK pemohon")
    beneficiary = fields.Field(attribute="beneficiary__name", column_name="Penerima manfaat")
    beneficiary_nik = fields.Field(attribute="beneficiary__nik", column_name="NIK penerima manfaat")
    registered_at = fields.Field(column_name="Didaftarkan")
    closed_at = fields.Field(column_name="Ditutup")

    NIK_COLUMNS = {"NIK pemohon", "NIK penerima manfaat"}
    TIME_COLUMNS = ("Didaftarkan", "Ditutup")
    SHEET = "Permohonan"

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

    def dehydrate_registered_at(self, case):
        return self.local(case.registered_at)

    def dehydrate_closed_at(self, case):
        return self.local(case.closed_at)


class StepExport(LocalTimes, resources.Resource):
    case = fields.Field(attribute="case__number", column_name="Nomor registrasi")
    service = fields.Field(attribute="case__sop__name", column_name="Layanan")
    step = fields.Field(column_name="Langkah")
    activity = fields.Field(attribute="sop_step__activity", column_name="Kegiatan")
    desk = fields.Field(column_name="Meja")
    standard = fields.Field(attribute="sop_step__time_text", column_name="Standar waktu")
    started_at = fields.Field(column_name="Mulai")
    due_at = fields.Field(column_name="Batas waktu")
    completed_at = fields.Field(column_name="Selesai")
    minutes = fields.Field(column_name="Waktu nyata (menit)")
    within = fields.Field(column_name="Sesuai standar")

    TIME_COLUMNS = ("Mulai", "Batas waktu", "Selesai")
    SHEET = "Langkah"

    def dehydrate_step(self, step):
        return step.label

    def dehydrate_desk(self, step):
        return step.desk_label

    def dehydrate_started_at(self, step):
        return self.local(step.started_at)

    def dehydrate_due_at(self, step):
        return self.local(step.due_at)

    def dehydrate_completed_at(self, step):
        return self.local(step.completed_at)

    def dehydrate_minutes(self, step):
        return round(step.duration.total_seconds() / 60, 1) if step.duration else None

    def dehydrate_within(self, step):
        if step.due_at is None or step.completed_at is None:
            return ""
        return "ya" if step.completed_at <= step.due_at else "tidak"
