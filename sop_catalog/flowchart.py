"""Lay out the PermenPAN-RB 35/2012 flowchart of a flow: one symbol per actor column.

Each step row gets, for every role column, a cell with the symbol (terminator, process,
decision or none) and the connector segments that cross it, drawn as background gradients:
they stretch with the row's height, in browsers and in WeasyPrint alike.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from sop_catalog.models import BranchAction

TERMINATOR = "terminator"
PROCESS = "process"
DECISION = "decision"

UNIT_WORDS = {
    "minute": "menit",
    "hour": "jam",
    "day": "hari",
    "workday": "hari kerja",
    "week": "minggu",
    "month": "bulan",
}
ACTION_WORDS = {"next": "lanjut", "applicant": "ke pemohon", "reject": "ditolak", "end": "selesai"}


INK = "#222"
W = "1.5px"
TURN = "7px"  # how far below a row's top edge a connector turns sideways


def _down(stops):
    return (f"linear-gradient(to bottom, {stops})", "center top", f"{W} 100%", "repeat-y")


def _across(stops, top="center"):
    position = "left center" if top == "center" else f"left 0 top {top}"
    return (f"linear-gradient(to right, {stops})", position, f"100% {W}", "repeat-x")


# Each segment is one background layer: a full-length tile repeated only along the line.
# (WeasyPrint ignores background-size on a gradient that does not repeat.)
LAYERS = {
    "up": _down(f"{INK} 0, {INK} 50%, transparent 50%"),
    "down": _down(f"transparent 0, transparent 50%, {INK} 50%"),
    "stub": _down(f"{INK} 0, {INK} {TURN}, transparent {TURN}"),
    "mid-left": _across(f"{INK} 0, {INK} 50%, transparent 50%"),
    "mid-right": _across(f"transparent 0, transparent 50%, {INK} 50%"),
    "mid-full": _across(f"{INK} 0, {INK} 100%"),
    "turn-left": _across(f"{INK} 0, {INK} 50%, transparent 50%", top=TURN),
    "turn-right": _across(f"transparent 0, transparent 50%, {INK} 50%", top=TURN),
    "turn-full": _across(f"{INK} 0, {INK} 100%", top=TURN),
}


@dataclass
class Cell:
    symbol: str = ""
    segments: list = field(default_factory=list)
    incoming: bool = False
    offpage_in: bool = False
    offpage_out: bool = False

    @property
    def style(self):
        if not self.segments:
            return ""
        layers = [LAYERS[name] for name in self.segments]
        return (
            ";".join(
                f"background-{prop}:{', '.join(layer[i] for layer in layers)}"
                for i, prop in enumerate(("image", "position", "size", "repeat"))
            )
            + ";background-clip:padding-box"
        )


@dataclass
class Row:
    step: object
    cells: list
    actors: list
    branches: list
    page_break_before: bool = False


def branch_text(branch):
    if branch.action == BranchAction.STEP:
        return f"{branch.label}: ke langkah {branch.step_no}"
    return f"{branch.label}: {ACTION_WORDS[branch.action]}"


def _span(cells, low, high, left, right, full):
    for col in range(low, high + 1):
        cells[col].segments.append(right if col == low else left if col == high else full)


def layout_flow(steps, roles, breaks=()):
    """Rows for the step table. `breaks` holds step numbers that start a new printed page.

    The connector leaves a step's first actor column downwards; in the next row it turns
    sideways just below the top edge to the next step's first actor column and enters its
    symbol from above.
    """
    columns = {role.pk: index for index, role in enumerate(roles)}
    placed = []
    for step in steps:
        actor_cols = sorted(columns[role.pk] for role in step.actors.all() if role.pk in columns)
        placed.append((step, actor_cols, actor_cols[0] if actor_cols else None))
    return [_row(placed, i, len(roles), breaks) for i in range(len(placed))]


def _row(placed, i, width, breaks):
    step, actor_cols, here = placed[i]
    branches = list(step.branches.all())
    cells = [Cell() for _ in range(width)]
    kind = TERMINATOR if i in (0, len(placed) - 1) else DECISION if branches else PROCESS
    for col in actor_cols:
        cells[col].symbol = kind
    if len(actor_cols) > 1:
        _span(cells, actor_cols[0], actor_cols[-1], "mid-left", "mid-right", "mid-full")
    starts_page = i > 0 and step.no in breaks
    if here is not None:
        _connect(cells, placed, i, starts_page, breaks)
    return Row(
        step=step,
        cells=cells,
        actors=actor_cols,
        branches=[branch_text(b) for b in branches],
        page_break_before=starts_page,
    )


def _connect(cells, placed, i, starts_page, breaks):
    """The connector through the step's first actor column: down to the next step, in from the last."""
    here = placed[i][2]
    following = placed[i + 1] if i + 1 < len(placed) else None
    if following is not None and following[2] is not None:
        cells[here].segments.append("down")
        if following[0].no in breaks:
            cells[here].offpage_out = True
    previous = placed[i - 1][2] if i > 0 else None
    if previous is None:
        return
    cells[here].incoming = True
    cells[here].segments.append("up")
    if starts_page:
        cells[here].offpage_in = True
    elif previous != here:
        cells[previous].segments.append("stub")
        low, high = sorted((previous, here))
        _span(cells, low, high, "turn-left", "turn-right", "turn-full")


def _fmt(value):
    value = Decimal(value).normalize()
    return f"{value:f}".replace(".", ",")


def format_standard(step):
    if step.time_max is None:
        return ""
    low, high = _fmt(step.time_min), _fmt(step.time_max)
    span = low if low == high else f"{low}–{high}"
    return f"{span} {UNIT_WORDS[step.time_unit]}"


def total_time(steps):
    """The sum of a flow's time standards (upper bounds) per unit, minutes folded into hours."""
    sums = {}
    without = 0
    for step in steps:
        if step.time_max is None:
            without += 1
            continue
        sums[step.time_unit] = sums.get(step.time_unit, Decimal(0)) + Decimal(step.time_max)
    minutes = sums.pop("minute", Decimal(0)) + sums.pop("hour", Decimal(0)) * 60
    parts = []
    for unit in ("month", "week", "workday", "day"):
        if unit in sums:
            parts.append(f"{_fmt(sums[unit])} {UNIT_WORDS[unit]}")
    if minutes:
        hours, rest = divmod(minutes, 60)
        if hours:
            parts.append(f"{_fmt(hours)} jam")
        if rest:
            parts.append(f"{_fmt(rest)} menit")
    text = " + ".join(parts) if parts else "—"
    if without:
        text += f" ({without} langkah tanpa standar waktu)"
    return text
