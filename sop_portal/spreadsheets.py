"""CSV and XLSX exports in which no cell becomes a formula in the office's spreadsheet program.

A text cell that starts (after whitespace) with =, +, -, @, a tab or a carriage return is read as a
formula by Excel and LibreOffice (`==HYPERLINK(…)`, `-2+3+cmd|' /C calc'!A0`, `@SUM(…)`). In CSV
such a cell gets a leading apostrophe; in XLSX every text is written as a string cell, unchanged.

CSV starts with a UTF-8 byte order mark, so that Excel reads "Penerima manfaat: Ni Luh Gede" and
"Sesuai standar" accents and dashes right. In XLSX a date-time is a date cell (dd/mm/yyyy hh:mm), a date
a date cell, and a number a number cell.
"""

import datetime
import re
from io import BytesIO

import tablib
from import_export.formats import base_formats
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_START = re.compile(r"^\s*[=+\-@\t\r]")
PLAIN_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")


def neutralise(value):
    """The cell as CSV should hold it: text that could start a formula gets a leading apostrophe."""
    if isinstance(value, str) and FORMULA_START.match(value) and not PLAIN_NUMBER.match(value):
        return "'" + value
    return value


class CSV(base_formats.CSV):
    def export_data(self, dataset, **kwargs):
        safe = tablib.Dataset(headers=[neutralise(header) for header in dataset.headers or []] or None)
        for row in dataset:
            safe.append([neutralise(cell) for cell in row])
        return "\ufeff" + safe.export("csv", **kwargs)


class XLSX(base_formats.XLSX):
    def export_data(self, dataset, **kwargs):
        book = Workbook()
        sheet = book.active
        sheet.title = (dataset.title or "Data")[:31]
        rows = ([list(dataset.headers)] if dataset.headers else []) + [list(row) for row in dataset]
        for values in rows:
            sheet.append([ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", v) if isinstance(v, str) else v
                          for v in values])  # fmt: skip
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":  # openpyxl reads any text starting with "=" as a formula
                    cell.data_type = "s"
                elif isinstance(cell.value, datetime.datetime):
                    cell.number_format = "dd/mm/yyyy hh:mm"
                elif isinstance(cell.value, datetime.date):
                    cell.number_format = "dd/mm/yyyy"
                elif isinstance(cell.value, float):
                    cell.number_format = "0.0"
        for column in sheet.columns:
            width = max((len(str(cell.value)) for cell in column if cell.value is not None), default=8)
            sheet.column_dimensions[column[0].column_letter].width = min(max(width, 10), 60) + 2
        out = BytesIO()
        book.save(out)
        return out.getvalue()
