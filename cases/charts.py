"""Server-rendered SVG charts: readable without JavaScript, printable by WeasyPrint."""

from django.utils.html import escape
from django.utils.safestring import mark_safe

ROW = 22
LABEL_WIDTH = 330
BAR_WIDTH = 300


def bar_chart(rows, *, maximum=None, title=""):
    """Horizontal bars: rows are (label, value, text shown after the bar); value None draws no bar."""
    rows = list(rows)
    values = [value for _, value, _ in rows if value is not None]
    top = maximum or (max(values) if values else 1) or 1
    height = ROW * len(rows) + 28
    width = LABEL_WIDTH + BAR_WIDTH + 90
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="14" font-size="12" font-weight="bold">{escape(title)}</text>',
    ]
    for index, (label, value, text) in enumerate(rows):
        y = 24 + index * ROW
        short = label if len(label) <= 46 else label[:44] + "…"
        parts.append(f'<text x="0" y="{y + 14}" font-size="11">{escape(short)}<title>{escape(label)}</title></text>')
        parts.append(f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{BAR_WIDTH}" height="14" fill="#eef2f5"/>')
        if value is not None:
            length = max(1, round(BAR_WIDTH * min(value, top) / top))
            colour = "#1e7b3c" if maximum != 1 or value >= 0.8 else "#c77c02" if value >= 0.5 else "#a4262c"
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{length}" height="14" fill="{colour}"/>')
        parts.append(f'<text x="{LABEL_WIDTH + BAR_WIDTH + 6}" y="{y + 14}" font-size="11">{escape(text)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
