"""Units (Sekretariat, bidang, seksi, subbagian, UPT) and positions in them; the users who worked at a
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

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0008_user_cache_version"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.CreateModel(
            name="Unit",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=200, verbose_name="nama unit")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("sekretariat", "Sekretariat"),
                            ("subbagian", "Subbagian"),
                            ("bidang", "Bidang"),
                            ("seksi", "Seksi"),
                            ("upt", "UPT"),
                        ],
                        max_length=20,
                        verbose_name="jenis",
                    ),
                ),
                ("order", models.PositiveIntegerField(default=0, verbose_name="urutan")),
                (
                    "demo",
                    models.BooleanField(
                        default=False,
                        help_text="Unit contoh untuk demo, tidak dari dokumen SOP instansi.",
                        verbose_name="unit contoh",
                    ),
                ),
                (
                    "agency",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="units",
                        to="agencies.agency",
                        verbose_name="instansi",
                    ),
                ),
                (
                    "parent",
                    models.ForeignKey(
                        blank=True,
                        help_text="Seksi di bawah bidangnya; subbagian di bawah Sekretariat.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="children",
                        to="agencies.unit",
                        verbose_name="di bawah",
                    ),
                ),
            ],
            options={
                "verbose_name": "unit kerja",
                "verbose_name_plural": "unit kerja",
                "ordering": ["agency", "order", "name"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("agency", "name"),
                        name="unique_unit_name",
                        violation_error_message="Unit dengan nama ini sudah ada di instansi ini.",
                    )
                ],
            },
        ),
        migrations.RenameField(model_name="position", old_name="unit", new_name="unit_name"),
        migrations.AddField(
            model_name="position",
            name="unit",
            field=models.ForeignKey(
                blank=True,
                help_text="Kosongkan untuk Kepala Dinas (memimpin seluruh instansi).",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="positions",
                to="agencies.unit",
                verbose_name="unit kerja",
            ),
        ),
        migrations.AlterField(
            model_name="official",
            name="user",
            field=models.ForeignKey(
                blank=True,
                help_text="Akun yang bekerja di meja jabatan ini selama masa jabatan (kotak masuk, tanda tangan).",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="holdings",
                to="agencies.user",
                verbose_name="akun pengguna",
            ),
        ),
        migrations.AlterField(
            model_name="official",
            name="name",
            field=models.CharField(
                help_text="Nama lengkap dengan gelar, seperti pada tanda tangan.", max_length=200, verbose_name="nama"
            ),
        ),
        migrations.AlterConstraint(
            model_name="official",
            name="official_end_after_start",
            constraint=models.CheckConstraint(
                condition=models.Q(("end__isnull", True), ("start__isnull", True), ("end__gte", models.F("start")), _connector="OR"),
                name="official_end_after_start",
                violation_error_message="Tanggal selesai menjabat tidak boleh sebelum tanggal mulai.",
            ),
        ),
        # The data moves in 0010 and the text column goes in 0011: PostgreSQL refuses to index or alter
        # a table in a transaction whose data changes still have deferred constraint checks pending.
    ]
