"""Gapless counters (registration numbers, letter numbers) safe under concurrent use."""

from django.db import IntegrityError, transaction
from django.db.models import F


def take_next(model, **keys):
    """Increment the counter row for `keys` and return its new value.

    Call inside the transaction that uses the number: the UPDATE locks the row until commit,
    so parallel callers queue up and none gets the same number or leaves a gap.
    """
    try:
        with transaction.atomic():
            model.objects.get_or_create(**keys)
    except IntegrityError:
        pass  # created by a parallel caller at the same moment
    model.objects.filter(**keys).update(last=F("last") + 1)
    return model.objects.get(**keys).last
