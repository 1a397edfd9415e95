"""`make run` twice after an admin's edits keeps every edit: the fixture commands of `make load`
create what is missing and leave alone each row changed since it was loaded (agencies/loading.py)."""

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from agencies.models import Official, User
from cases.models import LetterTemplate
from sop_catalog.models import SOP, Step

pytestmark = pytest.mark.django_db

MAKEFILE = Path(settings.BASE_DIR) / "Makefile"
# seed_demo runs with --if-empty: a second run adds no case (and 120 cases are too slow for this test).
NOT_FIXTURES = {"seed_demo"}


def make_load_commands():
    """The manage.py commands of the Makefile's `load` target, in order, with their arguments."""
    target = re.search(r"^load:.*\n((?:\t.*\n)+)", MAKEFILE.read_text(encoding="utf-8"), re.MULTILINE)
    lines = re.findall(r"manage\.py (.+)", target.group(1))
    return [line.split() for line in lines if line.split()[0] not in NOT_FIXTURES]


def make_load():
    out = io.StringIO()
    for command, *args in make_load_commands():
        call_command(command, *args, stdout=out)
    return out.getvalue()


def form_data(response):
    """The POST data of an admin change page as it stands: the form and each inline formset."""
    context = response.context
    forms = [context["adminform"].form]
    data = {}
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        data.update({f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()})
        data[f"{formset.prefix}-TOTAL_FORMS"] = len(formset.initial_forms)
        forms.extend(formset.initial_forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            key = form.add_prefix(name)
            if isinstance(value, list | tuple):
                data[key] = [getattr(v, "pk", v) for v in value]
            else:
                data[key] = "on" if value is True else getattr(value, "pk", value)
    return data


@pytest.fixture
def admin(client, demo_users):
    client.force_login(demo_users["lumajang-admin"])
    return client


def test_a_second_make_load_keeps_every_admin_edit(admin):
    assert [c[0] for c in make_load_commands()[:2]] == ["load_agencies", "load_sops"]  # the Makefile was read
    make_load()  # the first `make run` (over the session data: nothing to change)
    spm = SOP.objects.get(slug="lumajang-spm", is_current=True)
    flow = spm.flows.get(order=1)
    last = flow.steps.order_by("-no").first()
    kadis_role = spm.roles.get(desk="kadis")

    # The admin adds a step to SPM …
    url = reverse("admin:sop_catalog_flow_change", args=[flow.pk])
    data = form_data(admin.get(url))
    new = data["steps-TOTAL_FORMS"]
    data["steps-TOTAL_FORMS"] = new + 1
    data.update(
        {
            f"steps-{new}-flow": flow.pk,
            f"steps-{new}-no": last.no + 1,
            f"steps-{new}-activity": "Arsip SPM dipindai dan diunggah ke sistem",
            f"steps-{new}-actors": [kadis_role.pk],
            f"steps-{new}-time_text": "10 menit",
        }
    )
    response = admin.post(url, data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    # … edits a letter template …
    template = LetterTemplate.objects.filter(agency__slug="lumajang").order_by("pk").first()
    url = reverse("admin:cases_lettertemplate_change", args=[template.pk])
    data = form_data(admin.get(url))
    data["title"] = "Surat Rekomendasi (disunting admin)"
    response = admin.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    # … sets the pangkat the fixture leaves blank …
    official = Official.objects.get(position__agency__slug="lumajang", name="Dra. DEWI SUSIYANTI")
    assert official.rank == ""
    url = reverse("admin:agencies_position_change", args=[official.position_id])
    data = form_data(admin.get(url))
    index = next(i for i in range(int(data["officials-TOTAL_FORMS"])) if data[f"officials-{i}-id"] == official.pk)
    data[f"officials-{index}-rank"] = "Pembina Utama Muda (IV/c)"
    response = admin.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    # … and renames a demo user.
    kasi = User.objects.get(username="lumajang-kasi")
    User.objects.filter(pk=kasi.pk).update(first_name="Budi")  # (a user's admin form is another helper's)

    output = make_load()  # the second `make run`

    assert Step.objects.filter(flow=flow, activity="Arsip SPM dipindai dan diunggah ke sistem").exists()
    assert SOP.objects.filter(slug="lumajang-spm").count() == 1  # no new version from the fixture
    assert LetterTemplate.objects.get(pk=template.pk).title == "Surat Rekomendasi (disunting admin)"
    assert Official.objects.get(pk=official.pk).rank == "Pembina Utama Muda (IV/c)"
    assert User.objects.get(pk=kasi.pk).first_name == "Budi"
    for line in [
        "sop lumajang-spm: dilewati: diubah admin sejak dimuat",
        f"templat surat lumajang/{template.sop_slug or '-'}/{template.kind}: dilewati: diubah admin sejak dimuat",
        "pejabat (masa jabatan) lumajang/Kepala Dinas Sosial/Dra. DEWI SUSIYANTI: dilewati: diubah admin sejak dimuat",
        "pengguna lumajang-kasi: dilewati: diubah admin sejak dimuat",
    ]:
        assert line in output


def test_a_fixture_row_no_admin_touched_follows_the_fixture(tmp_path):
    """What the loaders still do: a row as loaded is brought to a changed fixture."""
    fixtures = Path(settings.BASE_DIR) / "fixtures" / "letters.json"
    changed = tmp_path / "letters.json"
    changed.write_text(
        fixtures.read_text(encoding="utf-8").replace('"title": "', '"title": "Baru: ', 1), encoding="utf-8"
    )
    out = io.StringIO()

    call_command("load_letters", path=str(changed), stdout=out)

    assert "diperbarui 1" in out.getvalue()
    assert LetterTemplate.objects.filter(title__startswith="Baru: ").count() == 1


def test_a_row_missing_from_the_database_is_created_again():
    official = Official.objects.get(position__agency__slug="lumajang", name="Dra. DEWI SUSIYANTI")
    official.delete()
    out = io.StringIO()

    call_command("load_agencies", stdout=out)

    assert Official.objects.filter(position__agency__slug="lumajang", name="Dra. DEWI SUSIYANTI").exists()
    assert "pejabat (masa jabatan): baru 1" in out.getvalue()
