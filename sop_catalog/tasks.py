"""The public SOP PDF rendered in the task worker once an SOP or a part of it is saved."""

from django.core.cache import cache
from django_tasks import task

from sop_catalog.models import SOP
from sop_catalog.printing import cached_sop_pdf
from sop_catalog.selectors import LIGHT_FIELDS, public_sops
from sop_portal.tasks import retry_later


@task()
def render_sop_pdf(sop_id, attempt=1):
    """Render and keep the PDF of the SOP if the public sees it (a second run finds the file). A
    failed rendering is queued again with backoff; meanwhile a request renders the PDF itself."""
    cache.delete(f"sop-pdf-queued:{sop_id}")
    sop = SOP.objects.only(*LIGHT_FIELDS).filter(pk=sop_id, pk__in=public_sops().values("pk")).first()
    if sop is None:
        return False
    try:
        cached_sop_pdf(sop)
    except Exception:
        if not retry_later(render_sop_pdf, attempt, f"PDF SOP {sop_id}", sop_id=sop_id):
            raise
        return False
    return True
