"""Small real files for upload tests: a scan must now parse as a PDF, not merely start with %PDF."""

import io

from pypdf import PdfWriter


def blank_pdf(text=b""):
    """A valid one-page PDF; `text` goes into its metadata, to tell two files apart."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if text:
        writer.add_metadata({"/Subject": text.decode()})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


BLANK_PDF = blank_pdf()
