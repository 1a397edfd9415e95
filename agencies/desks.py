"""Desks (meja) are Django groups; each carries the permission that names it."""

PETUGAS = "petugas"
PEKSOS = "peksos"
KASI = "kasi"
KABID = "kabid"
SEKDIN = "sekdin"
KADIS = "kadis"
ADMIN = "admin"

DESKS = [
    (PETUGAS, "Petugas Pelayanan"),
    (PEKSOS, "Pekerja Sosial"),
    (KASI, "Kepala Seksi"),
    (KABID, "Kepala Bidang"),
    (SEKDIN, "Sekretaris Dinas"),
    (KADIS, "Kepala Dinas"),
    (ADMIN, "Admin"),
]
DESK_LABELS = dict(DESKS)
# Admin-desk users manage these apps' data in Django admin.
ADMIN_APPS = ("agencies", "sop_catalog", "cases", "registers")


def desk_permission(desk):
    return f"agencies.desk_{desk}"


def ensure_desk_groups(**kwargs):
    """Create one group per desk holding its desk permission (idempotent; runs after migrate)."""
    from django.contrib.auth.models import Group, Permission

    for desk, _label in DESKS:
        group, _ = Group.objects.get_or_create(name=desk)
        perm = Permission.objects.filter(content_type__app_label="agencies", codename=f"desk_{desk}").first()
        if perm is None:
            continue
        group.permissions.add(perm)
        if desk == ADMIN:
            model_perms = Permission.objects.filter(content_type__app_label__in=ADMIN_APPS).exclude(
                codename__startswith="desk_"
            )
            group.permissions.add(*model_perms)


# Desks that see whole NIK and KK numbers (in exports); the others get them left out.
NIK_DESKS = (PETUGAS, PEKSOS, KASI)
# Desks that read the mutu-baku reports and export cases.
REPORT_DESKS = (KASI, KABID, SEKDIN, KADIS, ADMIN)
