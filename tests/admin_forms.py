"""POST data for a Django admin change page, read back from the page's own forms (as a browser would)."""

from django.forms import MultiWidget


def _widget_data(bound_field):
    widget, value = bound_field.field.widget, bound_field.value()
    name = bound_field.html_name
    if getattr(widget, "read_only", False):
        return {}
    if isinstance(widget, MultiWidget):
        values = value if isinstance(value, list | tuple) else widget.decompress(value)
        return {
            f"{name}{suffix}": sub.format_value(part)
            for suffix, sub, part in zip(widget.widgets_names, widget.widgets, values, strict=False)
        }
    if value is None:
        return {}
    if isinstance(value, bool):
        return {name: "on"} if value else {}
    if isinstance(value, list | tuple):
        if hasattr(bound_field.field, "queryset"):  # a browser sends only the options it shows
            shown = {str(pk) for pk in bound_field.field.queryset.values_list("pk", flat=True)}
            value = [v for v in value if str(v) in shown]
        return {name: [str(v) for v in value]}
    return {name: widget.format_value(value) if hasattr(widget, "format_value") else value}


def form_data(response, **changes):
    """Every field of the admin form and its inline formsets, as the page shows them, plus `changes`."""
    context = response.context
    data = {}
    for bound_field in context["adminform"].form:
        data.update(_widget_data(bound_field))
    for inline in context.get("inline_admin_formsets") or []:
        formset = inline.formset
        for bound_field in formset.management_form:
            data[bound_field.html_name] = bound_field.value()
        for form in formset.forms:
            for bound_field in form:
                data.update(_widget_data(bound_field))
    data = {key: value for key, value in data.items() if value is not None}
    data.update(changes)
    return data
