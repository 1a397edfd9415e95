"""A subbagian sits under its agency's Sekretariat (Unit.clean): 0010 made a position's "Subbag…" unit
name a subbagian without a parent, which the admin then refused to save. Each parentless subbagian is
put under the agency's Sekretariat (its first by order); an agency without one gets a "Sekretariat"
unit (or "Sekretariat (hasil migrasi)" when that name is taken by a unit of another kind). Nothing
else changes; going back leaves the parents in place (a subbagian under its Sekretariat is valid in
either schema). (0010's docstring says a "Seksi…" name becomes a seksi: it became a bidang, having no
bidang to sit under; docs/organisation.md says so.)
"""

from django.db import migrations


def forward(apps, schema_editor):
    Unit = apps.get_model("agencies", "Unit")
    orphans = Unit.objects.filter(kind="subbagian", parent=None).order_by("agency_id", "pk")
    for agency_id in sorted(set(orphans.values_list("agency_id", flat=True))):
        sekretariat = Unit.objects.filter(agency_id=agency_id, kind="sekretariat").order_by("order", "pk").first()
        if sekretariat is None:
            taken = Unit.objects.filter(agency_id=agency_id, name="Sekretariat").exists()
            name = "Sekretariat (hasil migrasi)" if taken else "Sekretariat"
            sekretariat = Unit.objects.create(agency_id=agency_id, name=name, kind="sekretariat")
        orphans.filter(agency_id=agency_id).update(parent=sekretariat)


class Migration(migrations.Migration):
    dependencies = [("agencies", "0011_remove_position_unit_name")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
