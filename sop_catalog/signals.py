"""A change to an SOP or any of its parts drops its cached public PDF; a copy announces itself."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import Signal, receiver

from sop_catalog import models
from sop_catalog.printing import forget_sop_pdf

# Sent when an SOP is written as a copy of another (a new version, or a copy to another agency):
# sender=SOP, sop=the copy, source=the SOP it was copied from. Data kept outside the SOP's own
# tables (the register checks of its steps) follows the copy through it.
sop_copied = Signal()

PARTS = (
    models.SOP,
    models.LegalBasis,
    models.Qualification,
    models.Equipment,
    models.RelatedSOP,
    models.RequiredDocument,
    models.Role,
    models.Flow,
    models.Step,
    models.Branch,
)


def _sop_id(instance):
    if isinstance(instance, models.SOP):
        return instance.pk
    # By ids: in a cascade delete the parent row may already be gone.
    if isinstance(instance, models.Step):
        return models.Flow.objects.filter(pk=instance.flow_id).values_list("sop_id", flat=True).first()
    if isinstance(instance, models.Branch):
        return models.Step.objects.filter(pk=instance.step_id).values_list("flow__sop_id", flat=True).first()
    return instance.sop_id


@receiver(post_save)
@receiver(post_delete)
def drop_cached_pdf(sender, instance, **kwargs):
    if sender in PARTS:
        sop_id = _sop_id(instance)
        if sop_id is not None:
            forget_sop_pdf(sop_id)


@receiver(m2m_changed, sender=models.Step.actors.through)
def drop_cached_pdf_on_actors(sender, instance, **kwargs):
    if isinstance(instance, models.Step):
        drop_cached_pdf(models.Step, instance)
