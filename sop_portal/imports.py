"""Spreadsheet imports in admin: a file re-imports its own export, and errors speak Indonesian.

- `RoundTripResource` reads back what the export wrote: an empty XLSX cell is empty text (not None,
  which a NOT NULL text column refuses), and a cell the CSV export guarded against formulas with a
  leading apostrophe (sop_portal.spreadsheets) gets its text back without it.
- `PlainErrorsAdmin` shows no Python error text and no traceback: a file that does not read, a
  missing key column, a database refusal each get a sentence in Indonesian.
"""

import re

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, models
from import_export.exceptions import FieldError
from import_export.formats import base_formats

from agencies.admin_scope import clash_message
from sop_portal.spreadsheets import FORMULA_START, PLAIN_NUMBER

IMPORT_FORMATS = [base_formats.CSV, base_formats.XLSX]
TEXT_FIELDS = (models.CharField, models.TextField)


def unguard(value):
    """The inverse of spreadsheets.neutralise: "'=SUM(A1)" as exported reads back as "=SUM(A1)"."""
    if isinstance(value, str) and value.startswith("'"):
        rest = value[1:]
        if FORMULA_START.match(rest) and not PLAIN_NUMBER.match(rest):
            return rest
    return value


class RowRefused(ValueError):
    """A row error whose (Indonesian) text is shown as it is."""


def plain_message(exc) -> str:
    if isinstance(exc, RowRefused | ValidationError):
        return " ".join(getattr(exc, "messages", [str(exc)]))
    if isinstance(exc, FieldError):
        columns = str(exc).rsplit(":", 1)[-1].strip()
        return f"Kolom wajib tidak ada di berkas: {columns}. Pakai berkas hasil ekspor sebagai contoh judul kolom."
    if isinstance(exc, IntegrityError):
        text = str(exc)
        if match := re.search(r"NOT NULL constraint failed: \w+\.(\w+)|null value in column \"(\w+)\"", text):
            return f"Kolom “{match.group(1) or match.group(2)}” tidak boleh kosong."
        if "UNIQUE" in text or "unique" in text or "duplicate" in text:
            return "Baris ini sama dengan data yang sudah ada (nilai yang harus unik dipakai dua kali)."
        return "Baris ini ditolak basis data; periksa isiannya."
    if isinstance(exc, DatabaseError):
        return "Baris ini ditolak basis data; periksa isiannya."
    if isinstance(exc, KeyError):
        return f"Kolom {exc} tidak ada di berkas."
    return "Baris ini tidak dapat dibaca; periksa isinya dengan berkas hasil ekspor."


class RoundTripResource:
    """Mixed in before resources.ModelResource."""

    def before_import_row(self, row, **kwargs):
        super().before_import_row(row, **kwargs)
        model = self._meta.model
        for field in self.get_import_fields():
            column, attribute = field.column_name, field.attribute
            if column not in row:
                continue
            value = unguard(row[column])
            if value is None and attribute and "__" not in attribute:
                try:
                    model_field = model._meta.get_field(attribute)
                except Exception:  # noqa: BLE001 - not a model field: leave the cell alone
                    model_field = None
                if isinstance(model_field, TEXT_FIELDS) and not model_field.null:
                    value = ""
            row[column] = value

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        try:
            super().validate_instance(instance, import_validation_errors, validate_unique)
        except ValidationError as exc:
            raise ValidationError(plain_validation_errors(type(instance), exc)) from exc

    def import_data(self, *args, **kwargs):
        result = super().import_data(*args, **kwargs)
        for error in [*result.base_errors, *(e for row in result.rows for e in row.errors)]:
            error.error = RowRefused(plain_message(error.error))
            error.__dict__["traceback"] = ""  # the page shows no traceback
        return result


def plain_validation_errors(model, exc):
    """Django's "Batasan “x” dilanggar" (a constraint without its own message) and its unique-clash
    text ("… ini tidak ada", a wrong translation) said in words."""
    defaults = {
        str(c.get_violation_error_message()): c
        for c in model._meta.constraints
        if c.violation_error_message == c.default_violation_error_message
    }
    errors = {}
    for field, messages in exc.update_error_dict({}).items():
        plain = []
        for message in messages:
            error = message if isinstance(message, ValidationError) else ValidationError(message)
            if error.code in ("unique", "unique_together"):
                plain.append(clash_message(model, (error.params or {}).get("unique_check", ())))
                continue
            for text in error.messages:
                constraint = defaults.get(text)
                if isinstance(constraint, models.UniqueConstraint):
                    text = clash_message(model, constraint.fields)
                elif constraint is not None:
                    text = f"Isian baris ini melanggar aturan data “{constraint.name}”."
                plain.append(text)
        errors[field] = plain
    return errors


class PlainErrorsAdmin:
    """Mixed into an ImportMixin admin: CSV and XLSX only, file errors in Indonesian."""

    import_formats = IMPORT_FORMATS
    import_error_display = ("message",)

    def add_data_read_fail_error_to_form(self, form, e):
        form.add_error(
            "import_file",
            "Berkas tidak dapat dibaca dalam format yang dipilih. Pilih format yang sesuai (CSV atau XLSX) "
            "dan pakai berkas hasil ekspor sebagai contoh.",
        )
