import django.db.models.deletion
from django.db import migrations, models


def address_open_disposisi(apps, schema_editor):
    """A case at a step it reached by a disposisi to a position waits for that position from now on:
    the step (and the case's queue) gets the position of the case's latest disposisi, the one that
    sent it there."""
    Case = apps.get_model("cases", "Case")
    CaseStep = apps.get_model("cases", "CaseStep")
    Disposition = apps.get_model("cases", "Disposition")
    cases = Case.objects.filter(current_step__arrival_kind="disposisi").values_list("pk", "current_step_id")
    for case_id, step_id in cases.iterator():
        latest = Disposition.objects.filter(case_id=case_id).order_by("-at", "-id").first()
        step = CaseStep.objects.get(pk=step_id)
        if latest is not None and latest.to_position_id and latest.to_desk == step.desk:
            CaseStep.objects.filter(pk=step_id).update(to_position_id=latest.to_position_id)
            Case.objects.filter(pk=case_id).update(queue_to_position_id=latest.to_position_id)


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0011_remove_position_unit_name"),
        ("cases", "0017_notification_event"),
    ]

    operations = [
        migrations.AddField(
            model_name="casestep",
            name="to_position",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="agencies.position",
                verbose_name="ditujukan kepada jabatan",
            ),
        ),
        migrations.AddField(
            model_name="case",
            name="queue_to_position",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="agencies.position",
                verbose_name="antrean untuk jabatan",
            ),
        ),
        migrations.RunPython(address_open_disposisi, migrations.RunPython.noop),
    ]
