import datetime
import html

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from agencies.desks import ADMIN
from agencies.models import Agency, Official, Position, User
from sop_catalog.models import SOP
from tests.admin_forms import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def lumajang_admin(client, demo_users):
    client.force_login(demo_users["lumajang-admin"])
    return client


def test_editing_ones_own_user_keeps_the_admin_group(lumajang_admin, demo_users):
    me = demo_users["lumajang-admin"]
    page_url = reverse("admin:agencies_user_change", args=[me.pk])
    page = lumajang_admin.get(page_url)
    offered = page.context["adminform"].form.fields["groups"].queryset

    response = lumajang_admin.post(page_url, form_data(page, first_name="Nama Baru"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    me = User.objects.get(pk=me.pk)
    assert ADMIN not in offered.values_list("name", flat=True)
    assert me.first_name == "Nama Baru" and me.groups.filter(name=ADMIN).exists()
    assert lumajang_admin.get(reverse("admin:sop_catalog_sop_changelist")).status_code == 200


def test_an_admin_still_changes_the_groups_it_may_grant(lumajang_admin, demo_users):
    kasi = demo_users["lumajang-kasi"]
    page_url = reverse("admin:agencies_user_change", args=[kasi.pk])
    page = lumajang_admin.get(page_url)
    kabid = Group.objects.get(name="kabid")

    lumajang_admin.post(page_url, form_data(page, groups=[str(kabid.pk)]))

    assert list(User.objects.get(pk=kasi.pk).groups.values_list("name", flat=True)) == ["kabid"]


def test_a_second_sop_with_the_same_name_from_another_agency_is_a_form_error(client, demo_users):
    lumajang_sop = SOP.objects.filter(agency__slug="lumajang", is_current=True).first()
    client.force_login(demo_users["solok-admin"])
    page = client.get(reverse("admin:sop_catalog_sop_add"))
    solok = Agency.objects.get(slug="solok")
    data = form_data(page, agency=str(solok.pk), name=lumajang_sop.name, slug=lumajang_sop.slug, status="draft")

    response = client.post(reverse("admin:sop_catalog_sop_add"), data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_text()
    assert "Sudah ada SOP lain dengan kode URL dan versi yang sama" in errors, errors
    assert SOP.objects.filter(slug=lumajang_sop.slug).count() == 1


def test_overlapping_definitive_periods_are_refused(lumajang_admin, lumajang):
    position = Position.objects.filter(agency=lumajang).first()
    Official.objects.filter(position=position).delete()
    Official.objects.create(position=position, name="Pejabat Lama", start=datetime.date(2024, 1, 1))
    page_url = reverse("admin:agencies_position_change", args=[position.pk])
    page = lumajang_admin.get(page_url)
    data = form_data(page)
    data.update({"officials-TOTAL_FORMS": "2", "officials-1-name": "Pejabat Baru", "officials-1-acting": "",
                 "officials-1-start": "01/06/2026"})  # fmt: skip
    data["officials-1-acting"] = data["officials-0-acting"]

    response = lumajang_admin.post(page_url, data, follow=True)

    text = html.unescape(response.content.decode())
    assert Official.objects.filter(position=position).count() == 1
    assert "tumpang tindih dengan pejabat definitif lain" in text and "Pejabat Lama" in text


def test_a_handover_in_one_save_ends_the_old_holder_and_starts_the_new(lumajang_admin, lumajang):
    position = Position.objects.filter(agency=lumajang).first()
    Official.objects.filter(position=position).delete()
    Official.objects.create(position=position, name="Pejabat Lama", start=datetime.date(2024, 1, 1))
    page_url = reverse("admin:agencies_position_change", args=[position.pk])
    data = form_data(lumajang_admin.get(page_url))
    data.update({"officials-0-end": "31/05/2026", "officials-TOTAL_FORMS": "2", "officials-1-name": "Pejabat Baru",
                 "officials-1-acting": "", "officials-1-start": "01/06/2026"})  # fmt: skip

    response = lumajang_admin.post(page_url, data, follow=True)

    assert response.status_code == 200
    assert list(position.officials.order_by("start").values_list("name", "end")) == [
        ("Pejabat Lama", datetime.date(2026, 5, 31)),
        ("Pejabat Baru", None),
    ], response.context.get("inline_admin_formsets") and response.context["inline_admin_formsets"][0].formset.errors


def test_the_today_screen_shows_holders_plt_and_empty_positions(lumajang_admin, lumajang):
    kadis = Position.objects.get(agency=lumajang, desk="kadis")
    Official.objects.create(position=kadis, name="Ir. PLT KADIS", acting=Official.PLT, start=datetime.date(2020, 1, 1))
    empty = Position.objects.create(agency=lumajang, title="Kepala Seksi Uji Kosong", desk="kasi", order=99)

    page = html.unescape(lumajang_admin.get(reverse("admin:agencies_position_today")).content.decode())

    assert "Plt. Ir. PLT KADIS" in page and "Plt. untuk Dra. DEWI SUSIYANTI" in page
    assert empty.title in page and "— kosong —" in page
    assert "Dinas Sosial Kabupaten Solok" not in page  # an agency admin sees their own agency only
