"""Queries of the cases app: each list page's query lives here."""

from django.db.models import Q

from cases.models import Case, Person, fold
from cases.nik import normalize_number


def search_persons(*, agency, query):
    """Persons of the agency by NIK or KK (exact or prefix) or by name (partial, case/accent-free)."""
    persons = Person.objects.filter(agency=agency)
    query = (query or "").strip()
    if not query:
        return persons.order_by("-updated_at", "-id")
    digits = normalize_number(query)
    if digits.isdigit() and len(digits) >= 6:
        return persons.filter(Q(nik__startswith=digits) | Q(kk_number__startswith=digits))
    for word in fold(query).split():
        persons = persons.filter(name_folded__contains=word)
    return persons


def nik_owner(*, agency, nik, exclude_pk=None):
    if not nik:
        return None
    return Person.objects.filter(agency=agency, nik=nik).exclude(pk=exclude_pk).first()


def namesakes(*, agency, name, birth_date, exclude_pk=None):
    """Persons with the same name (folded) and date of birth: likely the same person."""
    if not name or not birth_date:
        return Person.objects.none()
    return Person.objects.filter(agency=agency, name_folded=fold(name), birth_date=birth_date).exclude(pk=exclude_pk)


def person_history(person):
    return person.changes.select_related("user")


def cases_of_agency(*, agency, query="", state=""):
    cases = Case.objects.filter(agency=agency).select_related("sop", "applicant", "beneficiary")
    if state:
        cases = cases.filter(state=state)
    query = (query or "").strip()
    if query:
        cases = cases.filter(
            Q(number__icontains=query)
            | Q(applicant__name_folded__contains=fold(query))
            | Q(beneficiary__name_folded__contains=fold(query))
        )
    return cases.order_by("-created_at", "-id")


def cases_of_person(person):
    return (
        Case.objects.filter(Q(applicant=person) | Q(beneficiary=person))
        .select_related("sop")
        .order_by("-created_at", "-id")
    )


def case_for_page(*, pk, agency):
    return (
        Case.objects.select_related("sop", "sop__agency", "applicant", "beneficiary", "created_by", "agency")
        .prefetch_related("documents")
        .get(pk=pk, agency=agency)
    )


def case_by_number(number):
    return Case.objects.select_related("sop", "agency").filter(number=number).exclude(number="").first()
