"""Register extracts into the admin's import (django-import-export): Indonesian headers, row errors."""

import csv

from django.core.exceptions import ValidationError
from import_export import fields, resources
from import_export.formats import base_formats

from agencies.admin_scope import ScopedResource
from registers import importing
from registers.models import Entry
from sop_portal.imports import RoundTripResource, RowRefused


class SniffedCSV(base_formats.CSV):
    """CSV separated by ; (Excel with Indonesian locale), , or tab, whichever the file uses."""

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            in_stream = in_stream.decode(self.encoding or "utf-8-sig")
        try:
            kwargs.setdefault("delimiter", csv.Sniffer().sniff(in_stream[:4096], delimiters=";,\t").delimiter)
        except csv.Error:
            pass
        return super().create_dataset(in_stream, **kwargs)


IMPORT_FORMATS = [SniffedCSV, base_formats.XLSX]


class EntryResource(ScopedResource, RoundTripResource, resources.ModelResource):
    nik = fields.Field(attribute="nik", column_name="NIK")
    kk_number = fields.Field(attribute="kk_number", column_name="No KK")
    name = fields.Field(attribute="name", column_name="Nama")
    address = fields.Field(attribute="address", column_name="Alamat")
    village = fields.Field(attribute="village", column_name="Desa/Kelurahan")
    district = fields.Field(attribute="district", column_name="Kecamatan")
    desil = fields.Field(attribute="desil", column_name="Desil")

    class Meta:
        model = Entry
        fields = ["nik", "kk_number", "name", "address", "village", "district", "desil"]
        force_init_instance = True
        clean_model_instances = True
        use_transactions = True
        skip_unchanged = False
        report_skipped = False

    def __init__(self, *, period=None, **kwargs):
        super().__init__(**kwargs)
        self.period = period
        self._problems: dict[str, str] = {}

    def before_import(self, dataset, **kwargs):
        if self.period is None:
            raise RowRefused("Pilih periode register tujuan impor.")
        mapping = importing.map_headers(dataset.headers, self.period.register.column_aliases())
        if missing := importing.missing_headers(mapping.values()):
            raise RowRefused(
                f"Kolom wajib tidak ditemukan: {', '.join(missing)}. Judul kolom yang dikenali: "
                + "; ".join(f"{importing.LABELS[f]} ({', '.join(a)})" for f, a in importing.HEADERS.items())
            )
        dataset.headers = [
            importing.LABELS[mapping[i]] if i in mapping else f"(diabaikan) {header}"
            for i, header in enumerate(dataset.headers)
        ]

    def before_import_row(self, row, **kwargs):
        values = {field: row.get(label) for field, label in importing.LABELS.items()}
        cleaned, self._problems = importing.clean_row(values)
        for field, label in importing.LABELS.items():
            row[label] = cleaned[field]

    def init_instance(self, row=None):
        return Entry(period=self.period, agency_id=self.period.agency_id)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        for field, problem in self._problems.items():
            errors.setdefault(field, ValidationError(problem))
        instance.fill_derived()
        super().validate_instance(instance, errors, validate_unique)

    def after_import(self, dataset, result, **kwargs):
        if not kwargs.get("dry_run"):
            self.period.row_count = self.period.entries.count()
            self.period.save(update_fields=["row_count"])
