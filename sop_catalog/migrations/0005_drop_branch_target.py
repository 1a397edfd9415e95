from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sop_catalog", "0004_fill_branch_action_and_signs"),
    ]

    operations = [
        migrations.RemoveField(model_name="branch", name="target"),
        migrations.AddConstraint(
            model_name="branch",
            constraint=models.CheckConstraint(
                condition=models.Q(("action", "step"), ("step_no__isnull", False))
                | models.Q(models.Q(("action", "step"), _negated=True), ("step_no__isnull", True)),
                name="branch_step_no_iff_jump",
                violation_error_message="Nomor langkah diisi tepat bila tujuannya 'ke langkah N'.",
            ),
        ),
        migrations.AddConstraint(
            model_name="step",
            constraint=models.UniqueConstraint(
                condition=models.Q(("signs", True)),
                fields=("flow",),
                name="one_signing_step_per_flow",
                violation_error_message="Hanya satu langkah per alur yang menandatangani/menyetujui.",
            ),
        ),
    ]
