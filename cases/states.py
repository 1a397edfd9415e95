"""Case states and step statuses as choices (saleor style: beside the package, importing no model).

Code, the FSMField and templates (through the `states` context processor) use these names; no
state is spelled as a string literal anywhere else.
"""

from django.db import models

from agencies.desks import DESK_RANK, KABID, KADIS, KASI, PEKSOS, PETUGAS, SEKDIN


class CaseState(models.TextChoices):
    DRAFT = "draft", "Konsep"
    AT_PETUGAS = "at_petugas", "Di petugas pelayanan"
    AT_KASI = "at_kasi", "Di Kepala Seksi"
    AT_KABID = "at_kabid", "Di Kepala Bidang"
    AT_SEKDIN = "at_sekdin", "Di Sekretaris Dinas"
    AT_KADIS = "at_kadis", "Di Kepala Dinas"
    WAITING_EXTERNAL = "waiting_external", "Menunggu pihak luar"
    APPROVED = "approved", "Disetujui"
    COMPLETED = "completed", "Selesai"
    RETURNED = "returned", "Dikembalikan ke pemohon"
    REJECTED = "rejected", "Ditolak"
    CANCELLED = "cancelled", "Dibatalkan"


class StepStatus(models.TextChoices):
    PENDING = "pending", "Belum"
    CURRENT = "current", "Sedang berjalan"
    DONE = "done", "Selesai"
    SKIPPED = "skipped", "Dilewati"


class LetterStatus(models.TextChoices):
    DRAFT = "draft", "Konsep"
    ISSUED = "issued", "Berlaku"
    REVOKED = "revoked", "Dicabut"


DESK_STATES = (CaseState.AT_PETUGAS, CaseState.AT_KASI, CaseState.AT_KABID, CaseState.AT_SEKDIN, CaseState.AT_KADIS)
OPEN_STATES = (*DESK_STATES, CaseState.WAITING_EXTERNAL, CaseState.APPROVED)
CLOSED_STATES = (CaseState.COMPLETED, CaseState.REJECTED, CaseState.CANCELLED)
# While the case is at the front desk its checklist may change.
FRONT_DESK_STATES = (CaseState.DRAFT, CaseState.AT_PETUGAS, CaseState.RETURNED)
STATE_FOR_DESK = {
    PETUGAS: CaseState.AT_PETUGAS,
    PEKSOS: CaseState.AT_PETUGAS,
    KASI: CaseState.AT_KASI,
    KABID: CaseState.AT_KABID,
    SEKDIN: CaseState.AT_SEKDIN,
    KADIS: CaseState.AT_KADIS,
}
# The level of the desk a state stands for (forward goes up, dispose goes down).
STATE_RANK = {state: DESK_RANK[desk] for desk, state in STATE_FOR_DESK.items()}
