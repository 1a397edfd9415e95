"""Counts in Indonesian (a dot between thousands) where the templates print them: cases' `angka`
filter, and Django's `floatformat:"0g"` in sop_catalog (which does not load the cases filters)."""

from django.template import Context, Template
from django.utils import translation


def render(source, **context):
    with translation.override("id"):
        return Template(source).render(Context(context))


def test_the_catalog_count_and_the_recap_counts_put_a_dot_between_thousands():
    assert render('{{ n|floatformat:"0g" }} SOP', n=1234) == "1.234 SOP"
    assert render("{% load id_format %}{{ n|angka }} dari {{ total|angka }}", n=1500, total=250000) == (
        "1.500 dari 250.000"
    )
    assert render('{{ n|floatformat:"0g" }}', n=24) == "24"
