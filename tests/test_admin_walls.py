"""Agency walls in Django admin, generated from the admin registry.

For every registered ModelAdmin, the admins of two agencies (Lumajang and Solok, each against the
other) open the changelist, add, change, delete and history pages, every foreign-key and
many-to-many choice of the add and change forms and their inlines, every custom action, the import
(preview and confirm) and the export, and the "view on site" redirect: nothing of the other agency
is listed, offered, written or redirected to. The rule table agencies.admin_scope.AGENCY_PATHS must
name every registered model: a new ModelAdmin without a rule fails here.
"""

import datetime
import io
import json

import pytest
import tablib
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.forms.models import ModelChoiceField
from django.urls import reverse
from import_export.admin import ExportMixin, ImportMixin

from agencies.admin_scope import (
    AGENCY_PATHS,
    SHARED,
    SUPERUSER_ONLY,
    AgencyScopedAdmin,
    AgencyScopedInline,
    scope,
)
from agencies.models import Agency, Holiday
from cases import services as case_services
from cases.models import Disposition, IssuedDocument, LetterTemplate, PersonAccess
from registers.models import Access, Check, Entry, Period, Register
from registers.services import load_register_data
from sop_catalog.models import SOP, Step
from tests.admin_forms import form_data
from tests.factories import BranchFactory, CaseFactory, LetterTemplateFactory, PersonFactory
from tests.worlds import built_once

pytestmark = pytest.mark.django_db

REGISTRY = {model._meta.label: model_admin for model, model_admin in admin.site._registry.items()}
SCOPED = sorted(label for label in REGISTRY if label not in SUPERUSER_ONLY)
# Import attacks: the column changed on the other agency's exported rows, and the column given a new
# value in one more row (a new row for the other agency). Register rows carry no agency (None): the
# attack is the other agency's period.
IMPORT_ATTACKS = {
    "sop_catalog.SOP": ("name", "slug", "{other}-sop-selundupan"),
    "sop_catalog.Step": ("activity", "no", "99"),
    "registers.Entry": None,
}
PAIRS = [("lumajang", "solok"), ("solok", "lumajang")]


def inline_models(model_admin):
    return [inline.model for inline in model_admin.inlines]


def test_every_registered_model_has_an_agency_rule():
    unruled = [label for label in REGISTRY if label not in AGENCY_PATHS and label not in SUPERUSER_ONLY]
    unscoped = [label for label in SCOPED if not isinstance(REGISTRY[label], AgencyScopedAdmin)]
    inlines = [
        f"{label}: {inline.__name__}"
        for label in SCOPED
        for inline in REGISTRY[label].inlines
        if not issubclass(inline, AgencyScopedInline) or inline.model._meta.label not in AGENCY_PATHS
    ]
    # Every model a scoped admin form can offer in a choice has its own rule (or is shared).
    related = {
        field.related_model._meta.label
        for label in SCOPED
        for model in [REGISTRY[label].model, *inline_models(REGISTRY[label])]
        for field in model._meta.get_fields()
        if field.concrete and field.is_relation
    }
    assert len(SCOPED) >= 19
    assert unruled == [] and unscoped == [] and inlines == []
    assert related - set(AGENCY_PATHS) - SHARED == set()


def test_system_pages_are_for_superusers_only(client, demo_users, admin_client):
    client.force_login(demo_users["lumajang-admin"])
    pages = [
        reverse(f"admin:{REGISTRY[label].model._meta.app_label}_{REGISTRY[label].model._meta.model_name}_{view}")
        for label in SUPERUSER_ONLY
        for view in ("changelist", "add")
    ]
    assert len(pages) == 2 * len(SUPERUSER_ONLY)
    assert {page: client.get(page).status_code for page in pages} == {page: 403 for page in pages}
    assert all(admin_client.get(page).status_code == 200 for page in pages)


def make_world(agency):
    """At least one row of every ruled model for the agency: a registered case and its trail, …"""
    sop = SOP.objects.filter(agency=agency, is_current=True, flows__steps__isnull=False).distinct().first()
    person_kwargs = {"birth_place": agency.region or agency.name, "regency": agency.name, "village": "Desa Uji"}
    case = CaseFactory(sop=sop, registered=True, applicant=PersonFactory(agency=agency, **person_kwargs))
    petugas = case.created_by
    case_services.record_person_created(person=case.applicant, user=petugas)
    Holiday.objects.create(agency=agency, date=datetime.date(2026, 12, 31), name=f"Libur {agency.slug}")
    Disposition.objects.create(case=case, by=petugas, from_desk="kadis", to_desk="kasi")
    template = LetterTemplate.objects.filter(agency=agency).first() or LetterTemplateFactory(agency=agency)
    IssuedDocument.objects.create(case=case, template=template, title=f"Surat uji {agency.slug}")
    PersonAccess.record(user=petugas, rows=[case.applicant], via="uji")
    register = Register.objects.filter(agency=agency).first()
    period = Period.objects.create(register=register, label="Triwulan IV 2026", is_current=True)
    entry = Entry(period=period, name=f"Warga register {agency.slug}", nik="3508011507850999", desil=1)
    entry.fill_derived()
    entry.save()
    Access.record(user=petugas, rows=[entry], via="uji")
    step = Step.objects.filter(flow__sop=sop).first()
    Check.objects.get_or_create(step=step, register_code=register.code, defaults={"expectation": "eligible"})
    BranchFactory(step=step)


def build_world():
    data = settings.BASE_DIR / "fixtures" / "register_checks.json"
    load_register_data({**json.loads(data.read_text(encoding="utf-8")), "checks": []})
    for slug in ("lumajang", "solok"):
        make_world(Agency.objects.get(slug=slug))


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """On SQLite the world is built once per module (per xdist worker) and committed; each test rolls
    back its own changes, and the database before the world is copied back after the module."""
    with built_once(django_db_blocker, tmp_path_factory.mktemp("media"), build_world) as (built, _):
        yield built


@pytest.fixture
def world(module_world, demo_users):
    """At least one row of every ruled model for both agencies (built here when not once per module)."""
    if not module_world:
        build_world()
    return demo_users


def rows_of(label, agency_slug, users):
    model = apps.get_model(label)
    return scope(model._default_manager.all(), users[f"{agency_slug}-admin"]).order_by("pk")


# The SQL of each model's rows of one agency (scope() as its admin), by label and agency id: built
# once, then only read again (building the ORM queries was most of a fingerprint's time).
FINGERPRINT_SQL: dict[tuple[str, int], tuple[str, tuple]] = {}


def fingerprint(agency_slug, users):
    """Everything of one agency as stored (every column of every row), to compare before and after an attack."""
    agency_id = users[f"{agency_slug}-admin"].agency_id
    found = {}
    with connection.cursor() as cursor:
        for label in AGENCY_PATHS:
            key = (label, agency_id)
            if key not in FINGERPRINT_SQL:
                FINGERPRINT_SQL[key] = rows_of(label, agency_slug, users).query.sql_with_params()
            cursor.execute(*FINGERPRINT_SQL[key])
            found[label] = cursor.fetchall()
    return found


def url(label, view, *args):
    model = REGISTRY[label].model
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def forms_of(response):
    """The main form, every inline form (and empty form), an import or action form of a page."""
    context = response.context
    found = []
    if context.get("adminform"):
        found.append(context["adminform"].form)
    for inline in context.get("inline_admin_formsets") or []:
        found.extend(inline.formset.forms)
        if inline.has_add_permission:  # an inline that adds nothing ignores a new row's data
            found.append(inline.formset.empty_form)
    if context.get("form") is not None and hasattr(context["form"], "fields"):
        found.append(context["form"])
    return found


def choice_fields(response):
    return [
        (form, name, field)
        for form in forms_of(response)
        for name, field in form.fields.items()
        if isinstance(field, ModelChoiceField)
    ]


def foreign_choices(field, user):
    """The choices of a field that the user's agency may not have."""
    allowed = scope(field.queryset.model._default_manager.all(), user)
    return list(field.queryset.exclude(pk__in=allowed.values("pk"))[:5])


def other_choice(field, other_user):
    model = field.queryset.model
    if model._meta.label == "auth.Group":
        return model.objects.get(name="admin")
    if model._meta.label == "auth.Permission":
        return model.objects.first()
    return scope(model._default_manager.all(), other_user).first()


def management_data(response, filled_prefixes=()):
    data = {}
    for inline in response.context.get("inline_admin_formsets") or []:
        prefix = inline.formset.prefix
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "1" if prefix in filled_prefixes else "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    return data


def attack_forms(client, page_url, response, other_user, me):
    """POST every choice field of the page with the other agency's row, all in one submit (each
    field is validated on its own; one by one when the page as a whole is not refused): each is
    refused on its field."""
    attacks = []
    for form, name, field in choice_fields(response):
        if getattr(form, "prefix", None) and "__prefix__" in form.prefix:
            prefix = form.prefix.replace("__prefix__", "0")
            inline_prefix = form.prefix.rsplit("-", 1)[0]
        elif form is not (response.context.get("adminform") and response.context["adminform"].form):
            continue  # the saved inline rows: their choices are the empty form's
        else:
            prefix, inline_prefix = None, None
        target = other_choice(field, other_user)
        if target is None:
            continue
        attacks.append((prefix, inline_prefix, name, target))
    if not attacks:
        return 0
    answer = post_attacks(client, page_url, response, attacks)
    if answer.status_code == 200:
        refuse_each(answer, page_url, attacks)
        return len(attacks)
    # Not refused on any field as a whole (a page whose other fields are all valid with these values
    # may answer 302 or 403 from save_model): one field at a time, as a form would be left otherwise.
    assert answer.status_code in (302, 403), (page_url, answer.status_code)
    for attack in attacks:
        answer = post_attacks(client, page_url, response, [attack])
        if answer.status_code != 200:
            assert answer.status_code in (302, 403), (page_url, attack[2], answer.status_code)
            continue
        refuse_each(answer, page_url, [attack])
    return len(attacks)


def post_attacks(client, page_url, response, attacks):
    data = management_data(response, {inline_prefix for _, inline_prefix, _, _ in attacks})
    for prefix, _, name, target in attacks:
        data[f"{prefix}-{name}" if prefix else name] = [str(target.pk)]
    return client.post(page_url, data)


def refuse_each(answer, page_url, attacks):
    for prefix, _, name, target in attacks:
        errors = [f.errors for f in forms_of(answer) if (f.prefix or None) == prefix and f.errors]
        assert any(name in e for e in errors), (page_url, prefix, name, "accepted", target)


def run_actions(client, label, request, mine, theirs, admin_user, other_admin):
    """Every custom action, run on the other agency's row, then on its own with the other as target;
    returns how many choice fields the actions' own forms offered (each checked)."""
    checked = 0
    for action in REGISTRY[label].get_actions(request):
        client.post(url(label, "changelist"), {"action": action, "_selected_action": [theirs.pk], "post": "yes"})
        asked = client.post(url(label, "changelist"), {"action": action, "_selected_action": [mine.pk]})
        if asked.status_code != 200 or not asked.context or asked.context.get("form") is None:
            continue
        for _form, name, field in choice_fields(asked):
            checked += 1
            assert foreign_choices(field, admin_user) == [], (label, action, name)
            target = other_choice(field, other_admin)
            client.post(
                url(label, "changelist"),
                {"action": action, "_selected_action": [mine.pk], name: target.pk, "apply": "1"},
            )
    return checked


@pytest.mark.parametrize("me,other", PAIRS)
@pytest.mark.parametrize("label", SCOPED)
def test_an_agency_admin_never_reaches_another_agencys_rows(client, world, label, me, other):
    users = world
    admin_user, other_admin = users[f"{me}-admin"], users[f"{other}-admin"]
    other_agency = other_admin.agency
    client.force_login(admin_user)
    mine, theirs = rows_of(label, me, users).first(), rows_of(label, other, users).first()
    assert mine is not None and theirs is not None, f"the world has no {label} row of both agencies"
    before = fingerprint(other, users)
    checked = {"choices": 0}

    # Listed: the changelist holds only the admin's agency, and never names the other agency.
    listing = client.get(url(label, "changelist"))
    assert listing.status_code == 200
    shown = list(listing.context["cl"].result_list)
    assert mine.pk in {row.pk for row in shown} or len(shown) >= listing.context["cl"].list_per_page
    assert theirs.pk not in {row.pk for row in shown}
    assert other_agency.name not in listing.content.decode()

    # Offered and written: the add and change forms (and their inlines) offer only own rows,
    # and a POST naming the other agency's row is refused on that field.
    for page_url in (url(label, "add"), url(label, "change", mine.pk)):
        page = client.get(page_url)
        if page.status_code == 403:
            continue
        assert page.status_code == 200, page_url
        for _form, name, field in choice_fields(page):
            checked["choices"] += 1
            assert foreign_choices(field, admin_user) == [], (page_url, name)
        attack_forms(client, page_url, page, other_admin, admin_user)

    # The other agency's row: no change, delete or history page, no POST takes effect.
    for view in ("change", "delete", "history"):
        response = client.get(url(label, view, theirs.pk))
        assert response.status_code in (302, 403, 404), (label, view)
        if response.status_code == 302:
            assert response["Location"] == reverse("admin:index")
    client.post(url(label, "change", theirs.pk), {"_save": "1"})
    client.post(url(label, "delete", theirs.pk), {"post": "yes"})
    assert client.get(url(label, "history", mine.pk)).status_code == 200

    # Redirected: "view on site" of the other agency's row answers 404.
    if hasattr(theirs, "get_absolute_url"):
        ct = ContentType.objects.get_for_model(type(theirs))
        assert client.get(f"/admin/r/{ct.pk}/{theirs.pk}/").status_code == 404
        assert client.get(f"/admin/r/{ct.pk}/{mine.pk}/").status_code == 302

    checked["choices"] += run_actions(client, label, listing.wsgi_request, mine, theirs, admin_user, other_admin)

    assert fingerprint(other, users) == before
    assert checked["choices"] > 0 or label in CHOICELESS


# Admins whose forms hold no foreign-key or many-to-many choice at all (read-only logs, no add).
CHOICELESS = {
    "agencies.Agency",
    "agencies.Holiday",
    "cases.AuditEntry",
    "cases.Disposition",
    "cases.IssuedDocument",
    "cases.PersonAccess",
    "registers.Access",
    "registers.Check",
    "registers.Entry",
    "registers.Register",
    "cases.Person",
    "cases.LetterTemplate",
}


def test_every_import_admin_is_attacked():
    importing = sorted(label for label in SCOPED if isinstance(REGISTRY[label], ImportMixin))
    assert importing == sorted(IMPORT_ATTACKS)


def csv_format_index(model_admin, request):
    formats = model_admin.get_import_formats()
    return next(i for i, f in enumerate(formats) if f().get_title().lower() == "csv")


@pytest.mark.parametrize("me,other", PAIRS)
@pytest.mark.parametrize("label", sorted(IMPORT_ATTACKS))
def test_an_import_never_writes_another_agencys_rows(client, world, label, me, other):
    users = world
    admin_user, other_admin = users[f"{me}-admin"], users[f"{other}-admin"]
    client.force_login(admin_user)
    model_admin = REGISTRY[label]
    before = fingerprint(other, users)
    page = client.get(url(label, "import"))
    assert page.status_code == 200
    for _form, name, field in choice_fields(page):
        assert foreign_choices(field, admin_user) == [], name
    request = page.wsgi_request
    fmt = csv_format_index(model_admin, request)
    attack = IMPORT_ATTACKS[label]
    extra = {}
    if attack is None:  # register rows carry no agency: the attack is the period chosen
        other_period = Period.objects.filter(agency=other_admin.agency).first()
        content = "NIK,Nama\n3508011507850998,Warga Uji\n"
        extra["period"] = other_period.pk
    else:
        resource = model_admin.get_import_resource_classes(request)[0]()
        column, new_column, new_value = attack
        exported = resource.export(queryset=rows_of(label, other, users))
        at = exported.headers.index(column)
        rows = [[f"{v} (diubah)" if i == at else v for i, v in enumerate(row)] for row in exported]
        rows.append(list(rows[0]))
        rows[-1][exported.headers.index(new_column)] = new_value.format(other=other)
        dataset = tablib.Dataset(*rows, headers=exported.headers)
        content = dataset.csv
    upload = io.BytesIO(content.encode("utf-8"))
    upload.name = "serangan.csv"
    preview = client.post(url(label, "import"), {"resource": "0", "format": str(fmt), "import_file": upload, **extra})
    assert preview.status_code == 200
    result = preview.context.get("result")
    if attack is None:
        assert "period" in preview.context["form"].errors
    else:
        assert result is not None and (result.has_validation_errors() or result.has_errors())
        assert all(row.import_type in ("invalid", "error", "skip") for row in result.rows)
        confirm = preview.context.get("confirm_form")
        if confirm is not None:  # a confirm form is never offered for refused rows; if it were, post it
            client.post(url(label, "process_import"), {**confirm.initial, "resource": "0"})
    assert fingerprint(other, users) == before


@pytest.mark.parametrize("me,other", PAIRS)
def test_an_export_holds_only_the_admins_agency(client, world, me, other):
    users = world
    client.force_login(users[f"{me}-admin"])
    exporting = sorted(label for label in SCOPED if isinstance(REGISTRY[label], ExportMixin))
    assert exporting, "no admin exports"
    for label in exporting:
        page = client.get(url(label, "export"))
        form = page.context["form"]
        data = {bf.html_name: bf.value() for bf in form if bf.value() not in (None, False)}
        data["format"] = "0"  # CSV
        response = client.post(url(label, "export"), data)
        content = response.content.decode("utf-8-sig")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv"), label
        assert me in content and other not in content, label


def test_only_a_superuser_creates_an_agency(client, demo_users, admin_client):
    client.force_login(demo_users["lumajang-admin"])
    count = Agency.objects.count()

    refused = client.post(url("agencies.Agency", "add"), {"name": "Dinas Baru", "slug": "dinas-baru"})

    assert client.get(url("agencies.Agency", "add")).status_code == 403
    assert refused.status_code == 403 and Agency.objects.count() == count
    assert admin_client.get(url("agencies.Agency", "add")).status_code == 200


def test_copy_to_another_agency_offers_only_allowed_agencies(client, demo_users, admin_client):
    sop = SOP.objects.filter(agency__slug="lumajang", is_current=True).first()
    ask = {"action": "copy_to_other_agency", "_selected_action": [sop.pk]}
    client.force_login(demo_users["lumajang-admin"])

    offered = client.post(url("sop_catalog.SOP", "changelist"), ask).context["form"].fields["agency"].queryset

    assert list(offered.values_list("slug", flat=True)) == ["lumajang"]
    everyone = admin_client.post(url("sop_catalog.SOP", "changelist"), ask).context["form"].fields["agency"]
    assert everyone.queryset.count() == Agency.objects.count()


@pytest.fixture
def case_admin(client, demo_users):
    client.force_login(demo_users["lumajang-admin"])
    return client


def test_the_case_admin_does_not_change_workflow_fields(case_admin, registered):
    page = case_admin.get(url("cases.Case", "change", registered.pk))
    form = page.context["adminform"].form
    other_step = Step.objects.exclude(flow=registered.flow).first()

    case_admin.post(
        url("cases.Case", "change", registered.pk),
        {"state": "completed", "current_step": other_step.pk, "purpose": "Diubah", "applicant": registered.applicant_id,
         "beneficiary": registered.beneficiary_id, "channel": "datang", "sifat": "biasa",
         "documents-TOTAL_FORMS": "0", "documents-INITIAL_FORMS": "0",
         "steps-TOTAL_FORMS": "0", "steps-INITIAL_FORMS": "0"},
    )  # fmt: skip

    registered.refresh_from_db()
    assert {"state", "current_step", "flow", "sop", "agency", "number"} & set(form.fields) == set()
    assert 'name="current_step"' not in page.content.decode()  # no dropdown of every case step
    assert registered.state != "completed" and registered.current_step.case_id == registered.pk
    assert registered.purpose == "Diubah"  # the other fields still save


def test_the_case_admin_does_not_delete_checklist_lines_after_registration(case_admin, registered):
    document = registered.documents.first()
    page = case_admin.get(url("cases.Case", "change", registered.pk))
    documents = next(f for f in page.context["inline_admin_formsets"] if f.formset.prefix == "documents")

    assert not documents.formset.can_delete and not documents.has_add_permission
    data = {
        "purpose": registered.purpose, "applicant": registered.applicant_id, "beneficiary": registered.beneficiary_id,
        "channel": registered.channel, "sifat": registered.sifat,
        "documents-TOTAL_FORMS": "1", "documents-INITIAL_FORMS": "1", "documents-0-id": document.pk,
        "documents-0-case": registered.pk, "documents-0-order": document.order, "documents-0-name": document.name,
        "documents-0-DELETE": "on", "steps-TOTAL_FORMS": "0", "steps-INITIAL_FORMS": "0",
    }  # fmt: skip
    case_admin.post(url("cases.Case", "change", registered.pk), data)
    assert registered.documents.filter(pk=document.pk).exists()


def test_a_step_is_not_added_to_a_locked_sop(admin_client):
    sop = SOP.objects.filter(agency__slug="lumajang", is_current=True, flows__isnull=False).first()
    SOP.objects.filter(pk=sop.pk).update(locked=True)
    flow = sop.flows.first()
    count = Step.objects.filter(flow=flow).count()

    response = admin_client.post(
        url("sop_catalog.Step", "add"),
        {"flow": flow.pk, "no": "98", "activity": "Langkah selundupan", "time_text": "5 menit",
         "branches-TOTAL_FORMS": "0", "branches-INITIAL_FORMS": "0"},
    )  # fmt: skip

    assert "flow" in response.context["adminform"].form.errors
    assert Step.objects.filter(flow=flow).count() == count


@pytest.mark.parametrize("me,other", PAIRS)
def test_autocomplete_offers_only_the_admins_agency(client, world, me, other):
    admin_user = world[f"{me}-admin"]
    client.force_login(admin_user)
    sources = [
        (source, name)
        for label in SCOPED
        for source in [REGISTRY[label], *REGISTRY[label].inlines]
        for name in source.autocomplete_fields
    ]
    assert len(sources) >= 3
    for source, name in sources:
        meta = source.model._meta
        query = {"term": "", "app_label": meta.app_label, "model_name": meta.model_name, "field_name": name}
        response = client.get(reverse("admin:autocomplete"), query)
        assert response.status_code == 200, (meta.label, name)
        ids = [item["id"] for item in response.json()["results"]]
        target = meta.get_field(name).related_model
        assert ids, (meta.label, name, "offers nothing of its own agency")
        assert not target.objects.filter(pk__in=ids).exclude(pk__in=scope(target.objects.all(), admin_user)).exists()


def add_without_inlines(page, data):
    for inline in page.context.get("inline_admin_formsets") or []:
        prefix = inline.formset.prefix
        data = {k: v for k, v in data.items() if not k.startswith(f"{prefix}-")}
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


@pytest.mark.parametrize("label", SCOPED)
def test_adding_a_copy_of_an_existing_row_is_never_a_500(client, world, label):
    """A clash (the same slug, title, code … as a row that exists) is a form error, not an IntegrityError."""
    admin_user = world["lumajang-admin"]
    client.force_login(admin_user)
    mine = rows_of(label, "lumajang", world).first()
    add = client.get(url(label, "add"))
    if add.status_code == 403:
        pytest.skip(f"{label}: no add page for an agency admin")
    change = client.get(url(label, "change", mine.pk))
    if "adminform" not in (change.context or {}):
        pytest.skip(f"{label}: no change form")
    data = add_without_inlines(add, form_data(change))

    response = client.post(url(label, "add"), data)  # the test client raises on a 500

    assert response.status_code in (200, 302), label


@pytest.mark.parametrize("label", SCOPED)
def test_saving_an_own_row_unchanged_works(client, world, label):
    """The walls refuse the other agency, never the admin's own rows: each change form saves as shown."""
    client.force_login(world["lumajang-admin"])
    unlocked = {"sop_catalog.SOP": "locked", "sop_catalog.Flow": "sop__locked", "sop_catalog.Step": "flow__sop__locked"}
    rows = rows_of(label, "lumajang", world)
    mine = (rows.filter(**{unlocked[label]: False}) if label in unlocked else rows).first()
    change = client.get(url(label, "change", mine.pk))
    form = (change.context or {}).get("adminform")
    if form is None or not REGISTRY[label].has_change_permission(change.wsgi_request, mine):
        pytest.skip(f"{label}: read-only for an agency admin")

    response = client.post(url(label, "change", mine.pk), form_data(change))

    context = response.context or {}
    errors = [context["adminform"].form.errors] if "adminform" in context else [context.get("errors")]
    errors += [f.formset.errors for f in context.get("inline_admin_formsets") or []]
    assert response.status_code == 302, (response.status_code, errors)
