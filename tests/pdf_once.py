"""WeasyPrint's work done once per page for a test that asks for the same PDF as many identities."""

import weasyprint

from cases import documents
from sop_catalog import printing


class LayoutOnce:
    """Stands in for weasyprint.HTML: the same page with the same styles is laid out and written once.

    A test asking for each PDF as several identities gets, for whoever may see it, the same bytes:
    WeasyPrint's work is done for the first and reused for the rest (the status codes are still each
    identity's own, and a page that differs, such as another agency's report or a number shown in
    full to one desk only, is rendered anew).
    """

    real = weasyprint.HTML
    documents: dict = {}
    pdfs: dict = {}

    def __init__(self, *, string, base_url=None):
        self.string, self.base_url = string, base_url

    def render(self, stylesheets=None, **options):
        key = (self.string, self.base_url, tuple(sheet.base_url for sheet in stylesheets or ()), repr(options))
        if key not in self.documents:
            document = self.real(string=self.string, base_url=self.base_url).render(stylesheets=stylesheets, **options)
            self.documents[key] = LaidOut(document, key, self.pdfs)
        return self.documents[key]

    def write_pdf(self, target=None, stylesheets=None, **options):
        assert target is None
        return self.render(stylesheets=stylesheets).write_pdf()


class LaidOut:
    def __init__(self, document, key, pdfs):
        self.document, self.key, self.pdfs = document, key, pdfs
        self.pages = document.pages

    def write_pdf(self, target=None, **options):
        assert target is None and not options
        if self.key not in self.pdfs:
            self.pdfs[self.key] = self.document.write_pdf()
        return self.pdfs[self.key]


def layout_once(monkeypatch):
    """LayoutOnce in WeasyPrint's place until `monkeypatch` is undone, with empty caches; returns the
    class (its `pdfs` say whether any PDF went through it)."""
    monkeypatch.setattr(LayoutOnce, "documents", {})
    monkeypatch.setattr(LayoutOnce, "pdfs", {})
    monkeypatch.setattr(weasyprint, "HTML", LayoutOnce)
    for module in (documents, printing):  # in case a module imported HTML at its top
        if getattr(module, "HTML", None) is LayoutOnce.real:
            monkeypatch.setattr(module, "HTML", LayoutOnce)
    return LayoutOnce
