"""The public SOP PDF rendered in the task worker once an SOP or a part of it is saved."""

from django.core.cache import cache
from django_tasks import task

from sop_catalog.models import SOP
from sop_catalog.printing import cached_sop_pdf
from sop_catalog.selectors import LIGHT_FIELDS, public_sops


@task()
def render_sop_pdf(sop_id):
    """Render and keep the PDF of the SOP if the public sees it (a second run finds the file)."""
    cache.delete(f"sop-pdf-queued:{sop_id}")
    sop = SOP.objects.only(*LIGHT_FIELDS).filter(pk=sop_id, pk__in=public_sops().values("pk")).first()
    if sop is None:
        return False
    cached_sop_pdf(sop)
    return True
