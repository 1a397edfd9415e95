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


def desk_permission(desk: str) -> str:
    return f"agencies.desk_{desk}"


# The desk hierarchy: each desk's level, the superior told of its overdue steps, and the
# groups of desks that share a right. Every module reads these; none keeps its own copy.
DESK_RANK = {PETUGAS: 0, PEKSOS: 0, KASI: 1, KABID: 2, SEKDIN: 3, KADIS: 4}
SUPERIOR = {PETUGAS: KASI, PEKSOS: KASI, KASI: KABID, KABID: KADIS, SEKDIN: KADIS, KADIS: KADIS}
# The front desk registers, ticks the checklist, returns to the applicant and cancels; staff
# (petugas and peksos) are the desks below every superior.
FRONT_DESK = PETUGAS
STAFF_DESKS = (PETUGAS, PEKSOS)
# Desks that initial (paraf) a draft letter when they finish a step.
PARAF_DESKS = (KASI, KABID, SEKDIN)
# Desks that sign letters (the Sekretaris "a.n. Kepala Dinas"), and revoke them.
SIGNING_DESKS = (KADIS, SEKDIN)
# Desks that sign a berita acara as PIHAK PERTAMA, in the order a signer is looked for.
BERITA_ACARA_DESKS = (KADIS, SEKDIN, KABID)
# Desks that log in with a second factor: every desk that signs or issues numbered documents,
# and the admins, who manage everything.
TWO_FACTOR_DESKS = (*dict.fromkeys(SIGNING_DESKS + BERITA_ACARA_DESKS), ADMIN)
# Desks that see whole NIK and KK numbers (in exports); the others get them left out.
NIK_DESKS = (PETUGAS, PEKSOS, KASI)
# Desks that read the mutu-baku reports and export cases.
REPORT_DESKS = (KASI, KABID, SEKDIN, KADIS, ADMIN)
# Desks whose dashboard shows the whole agency's compliance figures.
WIDE_DESKS = (KABID, SEKDIN, KADIS, ADMIN)


def acting_desks(desk: str, actor_desks: list[str]) -> list[str]:
    """The desks that act on an SOP step in turn: one, or several for a paraf hierarki.

    An explicit desk keeps the step one step; a step whose columns hold two or more superior
    desks (Kasi, Kabid, Sekdin, Kadis) is done by each of them in turn, lowest first; otherwise
    the first internal column acts, or the front desk for a step of outside parties.
    """
    if desk:
        return [desk]
    superiors = sorted({d for d in actor_desks if DESK_RANK.get(d, 0) > 0}, key=DESK_RANK.__getitem__)
    if len(superiors) > 1:
        return superiors
    return [next((d for d in actor_desks if d in DESK_RANK), FRONT_DESK)]


# Desks that always serve the whole agency, whatever unit their position sits in.
AGENCY_DESKS = (SEKDIN, KADIS, ADMIN)
# Desks that are jabatan: given by holding a position (agencies.org), not by a desk group.
POSITION_DESKS = (KASI, KABID, SEKDIN, KADIS)
