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
ADMIN_APPS = ("agencies", "sop_catalog", "cases")


def desk_permission(desk):
    return f"agencies.desk_{desk}"


# Desks that see whole NIK and KK numbers (in exports); the others get them left out.
NIK_DESKS = (PETUGAS, PEKSOS, KASI)
# Desks that read the mutu-baku reports and export cases.
REPORT_DESKS = (KASI, KABID, SEKDIN, KADIS, ADMIN)
