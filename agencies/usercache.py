"""The fixed cost of a signed-in page, cached per user and version.

Every request loads the user's row (Django's authentication does, to check the session); the
desks (group permissions) and the agency of that user are then read from the cache under a key
holding the row's `cache_version`. Any change to the user's groups, to a group's permissions or to
the agency raises that version in the database, in the same transaction as the change, so the
next request on every worker and every machine builds the entry anew: a revoked desk or a
deactivated user is never served from the cache, whatever the cache backend (a per-process
memory cache included). The count of unread notices is cached for a minute and dropped when a
notice is written or read (a stale count is harmless).
"""

from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver
from django.utils import timezone

from agencies import org
from agencies.models import Agency, Official, Position, Unit, User

TIMEOUT = 8 * 60 * 60
UNREAD_TIMEOUT = 60


def bundle_key(user):
    # A superuser's group permissions are every permission: a demoted one must miss the cache. The day
    # is in the key: a Plt. whose period starts at midnight acts from the first request of that day.
    day = timezone.localdate().isoformat()
    return f"user:{user.pk}:v{user.cache_version}:{int(user.is_active)}{int(user.is_superuser)}:{user.agency_id}:{day}"


def unread_key(user_id):
    return f"unread:{user_id}"


def prime(user):
    """Fill the user's desk permissions and agency from the cache (or build and keep them).

    Only the group permissions (the desks, read on every page): a permission given to the user
    directly is read by Django's backend as before, on the few pages (admin) that ask for one.
    """
    if not getattr(user, "is_authenticated", False) or hasattr(user, "_group_perm_cache"):
        return user
    key = bundle_key(user)
    bundle = cache.get(key)
    if bundle is None or "positions" not in bundle:  # a bundle cached before positions were kept in it
        group = set(user.get_group_permissions())
        held = org.held_positions(user) if user.is_active else []
        scopes = org.scopes(user, held, group) if user.is_active else {}
        agency = user.agency if user.agency_id else None
        bundle = {"group": group, "agency": agency, "scopes": scopes, "positions": org.positions_by_desk(held)}
        cache.set(key, bundle, TIMEOUT)
    user._group_perm_cache = bundle["group"]
    user._desk_scopes = bundle["scopes"]
    user._desk_positions = bundle["positions"]
    if bundle["agency"] is not None:
        User.agency.field.set_cached_value(user, bundle["agency"])
    return user


def unread_count(user):
    count = cache.get(unread_key(user.pk))
    if count is None:
        count = user.notifications.filter(read_at__isnull=True).values("case_id").distinct().count()
        cache.set(unread_key(user.pk), count, UNREAD_TIMEOUT)
    return count


def forget_unread(user_ids):
    cache.delete_many([unread_key(pk) for pk in user_ids])


def bump(users):
    """Raise the cache version of the users (a queryset of User)."""
    users.update(cache_version=F("cache_version") + 1)


class UserCacheMiddleware:
    """After AuthenticationMiddleware: the signed-in user's desks and agency come from the cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            prime(user)
        return self.get_response(request)


@receiver(m2m_changed, sender=User.groups.through)
def user_groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "pre_clear", "post_clear"):
        return
    if isinstance(instance, User):  # user.groups.add/remove/clear/set
        if action != "pre_clear":
            bump(User.objects.filter(pk=instance.pk))
    elif action == "pre_clear":  # group.user_set.clear(): the members before they go
        bump(User.objects.filter(groups=instance))
    elif pk_set:
        bump(User.objects.filter(pk__in=pk_set))


@receiver(m2m_changed, sender=Group.permissions.through)
def group_permissions_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if isinstance(instance, Group):
        bump(User.objects.filter(groups=instance))
    else:  # permission.group_set.add/remove/clear
        groups = pk_set if action != "pre_clear" else instance.group_set.values("pk")
        bump(User.objects.filter(groups__in=groups))


@receiver(pre_delete, sender=Group)
def group_deleted(sender, instance, **kwargs):
    # The membership rows go by cascade, without an m2m_changed signal: bump the members first.
    bump(User.objects.filter(groups=instance))


@receiver(post_save, sender=Agency)
def agency_changed(sender, instance, created, **kwargs):
    if not created:
        bump(User.objects.filter(agency=instance))


# Positions: a holding given, changed or taken away, a position moved to another desk or unit, or the
# unit tree rearranged changes what the holders' desks serve.


@receiver(pre_save, sender=Official)
def official_changing(sender, instance, **kwargs):
    if instance.pk:
        previous = Official.objects.filter(pk=instance.pk).values_list("user_id", "position_id").first()
        instance._previous_user_id, instance._previous_position_id = previous or (None, None)


@receiver(post_save, sender=Official)
@receiver(post_delete, sender=Official)
def official_changed(sender, instance, **kwargs):
    # Every holder of the position: a Plt. entered takes the desk from the definitive holder.
    positions = {instance.position_id, getattr(instance, "_previous_position_id", None)}
    users = set(Official.objects.filter(position_id__in=positions).values_list("user_id", flat=True))
    users |= {instance.user_id, getattr(instance, "_previous_user_id", None)}
    bump(User.objects.filter(pk__in=[pk for pk in users if pk]))
    forget_staffed(Position.objects.filter(pk__in=[pk for pk in positions if pk]).values_list("agency_id", flat=True))


@receiver(post_save, sender=Position)
@receiver(post_delete, sender=Position)
def position_changed(sender, instance, created=False, **kwargs):
    if not created:
        bump(User.objects.filter(holdings__position_id=instance.pk))
    forget_staffed([instance.agency_id])


@receiver(post_save, sender=User)
@receiver(post_delete, sender=User)
def account_changed(sender, instance, update_fields=None, **kwargs):
    """An account deactivated, moved or deleted: the positions it acts in are staffed no more (or
    again). A login (last_login alone) changes nothing of that."""
    if update_fields is not None and set(update_fields) <= {"last_login", "cache_version"}:
        return
    forget_staffed(Agency.objects.values_list("pk", flat=True))


def forget_staffed(agency_ids):
    """Drop the agencies' staffed positions (org.staffed_positions) now and again after the commit (a
    request in between would cache the old set again)."""
    agency_ids = [pk for pk in agency_ids if pk]
    for pk in agency_ids:
        org.forget_staffed(pk)
    transaction.on_commit(lambda: [org.forget_staffed(pk) for pk in agency_ids])


@receiver(post_save, sender=Unit)
@receiver(post_delete, sender=Unit)
def unit_changed(sender, instance, **kwargs):
    # After the commit (a request in between would cache the old tree again); per-process caches of
    # other workers keep theirs at most TREE_TIMEOUT (agencies/org.py), a unit unknown to it fails closed.
    key = org.unit_tree_key(instance.agency_id)
    transaction.on_commit(lambda: cache.delete(key))
    bump(User.objects.filter(agency_id=instance.agency_id))
