"""The data of 0009 (units and holdings): Units (Sekretariat, bidang, seksi, subbagian, UPT) and positions in them; the users who worked at a
jabatan desk through a desk group become the holders of a position at that desk.

Position.unit was the unit's name as text: each distinct name becomes a Unit of its agency (a name
starting with "Sekretariat" a sekretariat, "Seksi" a seksi, "UPT" an UPT, else a bidang), and the
position points to it. A user in the kasi, kabid, sekdin or kadis group holds, from this migration
on, a position at that desk (the agency's first one by order, or a new "… (hasil migrasi)" one when
the agency has none): as the account of its one open definitive official without an account, or as a
new definitive holder without dates when it has none (unless some official of that position is
already linked to the user). The group membership is then removed, so the desk follows the position
(a successor entered in admin takes the inbox over). A user whose position is held by another
account keeps the group (the admin screen "Susunan jabatan hari ini" lists them). Nothing on the cases changes.
"""

import datetime

from django.db import migrations, models

POSITION_DESKS = ("kasi", "kabid", "sekdin", "kadis")
TITLES = {
    "kasi": "Kepala Seksi (hasil migrasi)",
    "kabid": "Kepala Bidang (hasil migrasi)",
    "sekdin": "Sekretaris Dinas (hasil migrasi)",
    "kadis": "Kepala Dinas (hasil migrasi)",
}


def kind_of(name):
    lowered = name.lower()
    for prefix, kind in (("sekretariat", "sekretariat"), ("subbag", "subbagian"), ("seksi", "seksi"), ("upt", "upt")):
        if lowered.startswith(prefix):
            return kind
    return "bidang"


def forward(apps, schema_editor):
    Unit = apps.get_model("agencies", "Unit")
    Position = apps.get_model("agencies", "Position")
    Official = apps.get_model("agencies", "Official")
    User = apps.get_model("agencies", "User")
    Group = apps.get_model("auth", "Group")
    for position in Position.objects.exclude(unit_name="").order_by("agency_id", "order", "pk"):
        kind = kind_of(position.unit_name)
        unit, _ = Unit.objects.get_or_create(
            agency_id=position.agency_id, name=position.unit_name, defaults={"kind": kind if kind != "seksi" else "bidang"}
        )
        position.unit = unit
        position.save(update_fields=["unit"])
    for desk in POSITION_DESKS:
        group = Group.objects.filter(name=desk).first()
        if group is None:
            continue
        for user in User.objects.filter(groups=group).exclude(agency_id=None).order_by("pk"):
            position = Position.objects.filter(agency_id=user.agency_id, desk=desk).order_by("order", "pk").first()
            if position is None:
                position = Position.objects.create(agency_id=user.agency_id, desk=desk, title=TITLES[desk], order=999)
            if not Official.objects.filter(position__desk=desk, position__agency_id=user.agency_id, user=user).exists():
                # The position's one open definitive holder without an account is this user (two open
                # definitive holders of one position would be refused by the model); else a new holder.
                open_holders = Official.objects.filter(position=position, acting="", end=None)
                unlinked = open_holders.filter(user=None)
                if open_holders.count() == 1 and unlinked.count() == 1:
                    unlinked.update(user=user)
                elif not open_holders.exists():
                    name = " ".join(part for part in (user.first_name, user.last_name) if part) or user.username
                    Official.objects.create(position=position, user=user, name=name, nip=user.nip, acting="")
                else:
                    continue  # the position is held by someone else: the user keeps the desk group
            # The group goes only when the user holds the desk's position today: a holding that ended
            # or starts later would leave them without the desk.
            today = datetime.date.today()
            holds_today = Official.objects.filter(
                user=user, position__desk=desk, position__agency_id=user.agency_id
            ).filter(models.Q(start=None) | models.Q(start__lte=today), models.Q(end=None) | models.Q(end__gte=today))
            if holds_today.exists():
                user.groups.remove(group)
                User.objects.filter(pk=user.pk).update(cache_version=models.F("cache_version") + 1)


def backward(apps, schema_editor):
    Position = apps.get_model("agencies", "Position")
    Official = apps.get_model("agencies", "Official")
    Group = apps.get_model("auth", "Group")
    for position in Position.objects.exclude(unit=None).select_related("unit"):
        position.unit_name = position.unit.name
        position.save(update_fields=["unit_name"])
    for official in Official.objects.exclude(user=None).select_related("position"):
        group = Group.objects.filter(name=official.position.desk).first()
        if group is not None and official.position.desk in POSITION_DESKS:
            official.user.groups.add(group)


class Migration(migrations.Migration):
    dependencies = [("agencies", "0009_units_and_holdings")]

    operations = [migrations.RunPython(forward, backward)]
