"""What this user may do on this case now: each right decided once, here.

Views ask `actions()` which buttons to show; services call `require()` with the same name and
refuse the same way: PermissionDenied when the user may not take the action at all (a 403),
TransitionRefused (a message) when the case does not allow it now. Transitions are read from
django-fsm's own listing of the Case's `@transition`s (their `permission=` and `conditions=`);
the rights that are not transitions (checklist, flow, berita acara, revoking a letter) are the
small functions of RIGHTS below.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied

from agencies import org
from agencies.desks import SIGNING_DESKS, STAFF_DESKS
from agencies.models import User
from cases.models import Case, CaseStep, IssuedDocument, holder
from cases.states import FRONT_DESK_STATES, CaseState, LetterStatus, StepStatus


class TransitionRefused(Exception):
    """The action is not possible now; the message says why, in Indonesian."""


class AlreadyProcessed(TransitionRefused):
    """Someone else moved the case since the user loaded the page."""


# The holding desk's buttons, each decided by the transition whose sources and permission it
# shares: a step can be completed wherever `complete` could fire, whichever move it then makes.
STEP_ACTIONS = {
    "complete_step": "complete",
    "wait_external": "wait_external",
    "resume": "resume",
    "reject": "reject",
    "return_for_revision": "return_for_revision",
}
FRONT_DESK_TRANSITIONS = ("register", "return_to_applicant", "resubmit", "cancel")
SENDER_TRANSITIONS = ("take_back",)

# Why a transition's condition refuses, in the words the user reads.
CONDITION_REFUSALS = {
    "cancel": "Permohonan tidak dapat dibatalkan: atasan sudah memprosesnya.",
    "return_to_applicant": (
        "Semua berkas wajib tercentang “diterima”: untuk mengembalikan berkas ke pemohon, hilangkan dulu "
        "centang “diterima” pada berkas wajib yang kurang, lalu ulangi."
    ),
    "resubmit": "Lengkapi berkas wajib untuk mengajukan kembali.",
}
STATE_REFUSALS = {
    ("complete_step", CaseState.WAITING_EXTERNAL): "Permohonan sedang menunggu pihak luar; lanjutkan dulu.",
}


# --- transitions ---------------------------------------------------------------------------


def transitions(case: Case, user: User) -> set[str]:
    """The names of the transitions django-fsm lets this user fire on the case now."""
    # django-fsm adds get_available_user_state_transitions to the model; its package has no types.
    return {t.name for t in case.get_available_user_state_transitions(user)}  # type: ignore[attr-defined]


def require_transition(case: Case, user: User, name: str, action: str | None = None) -> None:
    """Refuse firing transition `name`: PermissionDenied (never yours), TransitionRefused (not now)."""
    meta = getattr(case, name)._django_fsm
    kinds = meta.transitions.values()
    if not any(t.has_perm(case, user) for t in kinds):
        mine = any(t.permission is holder for t in kinds)
        raise PermissionDenied(
            "Langkah ini bukan di meja Anda."
            if mine
            else "Anda tidak berwenang melakukan tindakan ini pada permohonan ini."
        )
    if not meta.has_transition(case.state):
        raise TransitionRefused(
            STATE_REFUSALS.get((action or name, case.state))
            or f"Tindakan ini tidak dapat dilakukan pada permohonan berstatus {case.get_state_display()}."
        )
    if not meta.conditions_met(case, case.state):
        raise TransitionRefused(CONDITION_REFUSALS.get(name, "Syarat tindakan ini belum terpenuhi."))


# --- rights that are not transitions ----------------------------------------------------------


def _same_agency(case: Case, user: User) -> bool:
    return user.is_authenticated and user.agency_id == case.agency_id


def may_edit_persons(user: User) -> bool:
    """Register and correct persons: the staff desks that meet applicants (petugas, peksos)."""
    return any(user.has_desk(desk) for desk in STAFF_DESKS)


def require_edit_documents(case: Case, user: User) -> None:
    """Tick the checklist and upload scans: the front desk, while the case is at its desk."""
    if not case.is_front_desk(user):
        raise PermissionDenied("Berkas hanya dapat diubah petugas pelayanan instansi ini.")
    if case.state not in FRONT_DESK_STATES:
        raise TransitionRefused("Berkas hanya dapat diubah selama permohonan di meja petugas.")


def require_choose_flow(case: Case, user: User) -> None:
    if not case.is_front_desk(user):
        raise PermissionDenied("Alur hanya dapat dipilih petugas selama permohonan masih konsep.")
    if case.state != CaseState.DRAFT:
        raise TransitionRefused("Permohonan ini sudah didaftarkan; alurnya tidak dapat diganti lagi.")


def berita_acara_steps(case: Case) -> dict[str, CaseStep]:
    """The berita acara the case has reached: kind -> the first step of the case's flow that produces it
    (sop_catalog Step.document) and that is the current step or behind it."""
    current = case.current_step
    reached: dict[str, CaseStep] = {}
    steps = case.steps.select_related("sop_step").exclude(sop_step__document="").order_by("position", "part")
    for step in steps:
        behind = current is not None and step.position < current.position
        if step.status in (StepStatus.CURRENT, StepStatus.DONE) or behind:
            reached.setdefault(step.sop_step.document, step)
    return reached


def require_issue_berita_acara(case: Case, user: User, kind: str = "") -> None:
    """A berita acara is made at the SOP step that produces it, by that step's desk, while the case is at
    that step or after it; never on a case that is a draft, cancelled or rejected."""
    if not (_same_agency(case, user) and user.is_active):
        raise PermissionDenied("Berita acara hanya dibuat oleh instansi permohonan ini.")
    if not case.number or case.state in (CaseState.DRAFT, CaseState.CANCELLED, CaseState.REJECTED):
        raise TransitionRefused("Berita acara hanya untuk permohonan terdaftar yang tidak dibatalkan atau ditolak.")
    steps = berita_acara_steps(case)
    if kind:
        steps = {kind: steps[kind]} if kind in steps else {}
    if not steps:
        raise TransitionRefused(
            "Berita acara ini dibuat di langkah SOP yang menghasilkannya; langkah itu belum dicapai."
        )
    if not any(org.serves(user, step.desk, case.sop.org_unit_id) for step in steps.values()):
        desks = ", ".join(sorted({step.desk_label for step in steps.values()}))
        raise PermissionDenied(f"Berita acara ini dibuat oleh meja langkahnya ({desks}).")


def berita_acara_kinds(case: Case, user: User) -> list[str]:
    """The kinds of berita acara this user may issue on the case now."""
    return [
        kind
        for kind, step in berita_acara_steps(case).items()
        if org.serves(user, step.desk, case.sop.org_unit_id) and may_issue_berita_acara(case, user, kind)
    ]


def may_issue_berita_acara(case: Case, user: User, kind: str) -> bool:
    try:
        require_issue_berita_acara(case, user, kind)
    except (PermissionDenied, TransitionRefused):
        return False
    return True


def require_revoke(case: Case, user: User, document: IssuedDocument) -> None:
    """Revoke an issued letter of the case (and issue its replacement)."""
    if not (_same_agency(case, user) and any(user.has_desk(desk) for desk in SIGNING_DESKS)):
        raise PermissionDenied("Hanya Kepala Dinas atau Sekretaris yang dapat mencabut surat.")
    if document.case_id != case.pk or document.status != LetterStatus.ISSUED:
        raise TransitionRefused("Hanya surat yang berlaku yang dapat dicabut.")


RIGHTS: dict[str, Callable[[Case, User], None]] = {
    "edit_documents": require_edit_documents,
    "choose_flow": require_choose_flow,
    "issue_berita_acara": require_issue_berita_acara,
}


# --- the questions callers ask -------------------------------------------------------------------


def require(case: Case, user: User, action: str) -> None:
    """Raise unless the user may take `action` (a transition, a step action or a right) now."""
    if action in RIGHTS:
        RIGHTS[action](case, user)
    else:
        require_transition(case, user, STEP_ACTIONS.get(action, action), action)


def may(case: Case, user: User, action: str) -> bool:
    try:
        require(case, user, action)
    except (PermissionDenied, TransitionRefused):
        return False
    return True


def may_revoke(case: Case, user: User, document: IssuedDocument) -> bool:
    try:
        require_revoke(case, user, document)
    except (PermissionDenied, TransitionRefused):
        return False
    return True


def actions(case: Case, user: User) -> set[str]:
    """Every action this user may take on the case now: the buttons of the case page."""
    fired = transitions(case, user)
    granted = {name for name in (*FRONT_DESK_TRANSITIONS, *SENDER_TRANSITIONS) if name in fired}
    granted |= {action for action, name in STEP_ACTIONS.items() if name in fired}
    granted |= {name for name in RIGHTS if may(case, user, name)}
    return granted
