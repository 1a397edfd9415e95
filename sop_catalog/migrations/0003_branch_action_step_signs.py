from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sop_catalog", "0002_required_documents"),
    ]

    operations = [
        migrations.AddField(
            model_name="branch",
            name="action",
            field=models.CharField(
                choices=[
                    ("next", "langkah berikutnya"),
                    ("step", "ke langkah N"),
                    ("applicant", "kembali ke pemohon (berkas kurang)"),
                    ("reject", "tolak (tidak layak)"),
                    ("end", "selesai"),
                ],
                default="next",
                max_length=10,
                verbose_name="tujuan",
            ),
        ),
        migrations.AddField(
            model_name="branch",
            name="step_no",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Hanya untuk tujuan 'ke langkah N': nomor langkah di alur ini.",
                null=True,
                verbose_name="ke langkah no",
            ),
        ),
        migrations.AddField(
            model_name="step",
            name="signs",
            field=models.BooleanField(
                default=False,
                help_text="Langkah Kepala/Sekretaris Dinas yang menyetujui permohonan dan menandatangani suratnya; "
                "paling banyak satu per alur.",
                verbose_name="menandatangani/menyetujui",
            ),
        ),
    ]
