from django import template

register = template.Library()


@register.filter
def minutes(value):
    """A duration in minutes as '2 hari 3 jam', '45 menit'; '—' when there is none."""
    if value is None or value == "":
        return "—"
    total = int(round(float(value)))
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} hari" if days else "", f"{hours} jam" if hours else "", f"{mins} menit" if mins else ""]
    return " ".join(p for p in parts if p) or "< 1 menit"


@register.filter
def percent(value):
    if value is None:
        return "—"
    return f"{value * 100:.0f}%"
