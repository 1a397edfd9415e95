"""The public SOP page and PDF are built once per version and rebuilt only after a change."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from agencies.models import User
from sop_catalog import printing
from sop_catalog.models import SOP, Step
from sop_catalog.printing import cached_sop_pdf
from sop_catalog.selectors import sop_with_everything
from sop_catalog.services import export_sop, import_sops
from sop_catalog.signals import one_drop_per_sop
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def renders(monkeypatch):
    """Count the renderings of the SOP PDF (each takes seconds of CPU)."""
    calls = []
    real = printing.render_sop_pdf

    def counting(sop, **kwargs):
        calls.append(sop.pk)
        return real(sop, **kwargs)

    monkeypatch.setattr(printing, "render_sop_pdf", counting)
    return calls


def test_the_page_is_built_once_and_then_costs_two_queries(client, sample_sop):
    with CaptureQueriesContext(connection) as first:
        built = client.get(f"/katalog/{sample_sop.slug}/").content.decode()
    with CaptureQueriesContext(connection) as second:
        cached = client.get(f"/katalog/{sample_sop.slug}/").content.decode()

    assert cached == built and "400.9/IV/1.03/2026" in cached
    assert len(second) == 2 < len(first)  # the SOP's row, and its published versions for the version links


def test_a_changed_step_shows_at_once(client, sample_sop):
    client.get(f"/katalog/{sample_sop.slug}/")
    step = Step.objects.filter(flow__sop=sample_sop).order_by("no").first()
    step.activity = "Aktivitas yang baru saja diubah"
    step.save()

    page = client.get(f"/katalog/{sample_sop.slug}/").content.decode()

    assert "Aktivitas yang baru saja diubah" in page


def test_the_pdf_is_rendered_once_per_version_and_again_after_a_change(client, sample_sop, renders):
    first = client.get(f"/katalog/{sample_sop.slug}.pdf").content
    with CaptureQueriesContext(connection) as queries:
        second = client.get(f"/katalog/{sample_sop.slug}.pdf").content
    assert first == second and renders == [sample_sop.pk]
    assert len(queries) == 1  # the SOP's row: nothing else is read for a kept PDF

    Step.objects.filter(flow__sop=sample_sop).order_by("no").first().save()
    client.get(f"/katalog/{sample_sop.slug}.pdf")

    assert renders == [sample_sop.pk, sample_sop.pk]


def test_a_saved_sop_has_its_pdf_rendered_by_the_worker(
    sample_sop, settings, renders, django_capture_on_commit_callbacks
):
    settings.SOP_PDF_PRERENDER = True
    with django_capture_on_commit_callbacks(execute=True):
        for step in Step.objects.filter(flow__sop=sample_sop):
            step.save()

    assert renders == [sample_sop.pk]  # one rendering for the many parts saved
    light = SOP.objects.get(pk=sample_sop.pk)
    assert printing._cache_path(light).exists()
    cached_sop_pdf(light)
    assert renders == [sample_sop.pk]


def test_an_import_drops_the_cached_pdf_once_in_a_few_statements(client, sample_sop, renders):
    client.get(f"/katalog/{sample_sop.slug}.pdf")
    before = SOP.objects.get(pk=sample_sop.pk).updated_at
    data = export_sop(sop_with_everything().get(pk=sample_sop.pk))
    data["flows"][0]["steps"][0]["activity"] = "Aktivitas yang diubah lewat impor"
    data["version"] = sample_sop.version

    with CaptureQueriesContext(connection) as queries:
        assert import_sops([data])["updated"] == 1
    # One update of updated_at for the SOP, not one per part written (the log is read before the
    # next request clears it).
    touches = [query for query in queries if 'UPDATE "sop_catalog_sop" SET "updated_at"' in query["sql"]]
    assert len(touches) == 1
    client.get(f"/katalog/{sample_sop.slug}.pdf")

    assert renders == [sample_sop.pk, sample_sop.pk]  # rendered again after the import
    assert SOP.objects.get(pk=sample_sop.pk).updated_at > before


def test_a_batch_that_fails_drops_nothing(client, sample_sop, renders):
    client.get(f"/katalog/{sample_sop.slug}.pdf")
    step = Step.objects.filter(flow__sop=sample_sop).order_by("no").first()

    with pytest.raises(RuntimeError), transaction.atomic(), one_drop_per_sop():
        step.activity = "Tidak jadi"
        step.save()
        raise RuntimeError("batal")
    client.get(f"/katalog/{sample_sop.slug}.pdf")

    assert renders == [sample_sop.pk]  # the kept PDF still serves: the change rolled back


def test_a_version_used_by_a_case_is_rendered_once_and_outlives_the_new_version(client, sample_sop, renders):
    """Opening a case locks the version (an UPDATE, no signal) and a locked version takes no edit: the
    admin refuses, an import of a changed file makes a new version. So nothing drops its PDF: it is
    rendered once, and still served as it was once the new version has replaced it in the catalog."""
    first = client.get(f"/katalog/{sample_sop.slug}.pdf").content
    front_desk = User.objects.create(username=f"{sample_sop.agency.slug}-petugas", agency=sample_sop.agency)
    front_desk.groups.add(Group.objects.get(name="petugas"))
    CaseFactory(sop=sample_sop)  # opened by that front desk
    assert SOP.objects.get(pk=sample_sop.pk).locked
    assert client.get(f"/katalog/{sample_sop.slug}.pdf").content == first

    data = export_sop(sop_with_everything().get(pk=sample_sop.pk))
    data["flows"][0]["steps"][0]["activity"] = "Aktivitas versi berikutnya"
    data["version"] = sample_sop.version
    assert import_sops([data])["new_version"] == 1
    assert SOP.objects.get(slug=sample_sop.slug, is_current=True).pk != sample_sop.pk

    assert client.get(f"/katalog/{sample_sop.slug}/v{sample_sop.version}.pdf").content == first
    assert renders == [sample_sop.pk]
