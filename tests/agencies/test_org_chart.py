"""The admin's "Susunan jabatan hari ini" warnings and the warning on saving a Plt./Plh. over a
definitive holder (issue #14, item 6 and the story of the Plt. Kepala Dinas for 1–31 December)."""

import datetime
import html

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from agencies.models import Official, Position
from sop_catalog.models import SOP
from tests.admin_forms import form_data

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
SEKSI = "Seksi Pelayanan dan Rehabilitasi Sosial Anak dan Lanjut Usia"


@pytest.fixture
def lumajang_admin(client, demo_users):
    client.force_login(demo_users["lumajang-admin"])
    return client


def today_screen(client):
    response = client.get(reverse("admin:agencies_position_today"))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def kasi_warning(sop):
    return f"{sop.name}: tidak ada yang bekerja di meja Kepala Seksi untuk {SEKSI} hari ini."


def test_ending_the_rehsos_kasis_holding_warns_for_the_sops_that_need_that_desk(catalog, demo_users, lumajang_admin):
    lansia = SOP.objects.get(slug="lumajang-lansia-terlantar-griya-lansia", is_current=True)
    tuna = SOP.objects.get(
        slug="lumajang-rekomendasi-terlantar-ppks", is_current=True
    )  # the other seksi: its Kasi stays
    assert lansia.org_unit.name == SEKSI and lansia.roles.filter(desk="kasi").exists()
    assert tuna.roles.filter(desk="kasi").exists() and tuna.org_unit.name != SEKSI
    assert kasi_warning(lansia) not in today_screen(lumajang_admin)
    holding = Official.objects.get(user=demo_users["lumajang-kasi-rehsos"], position__desk="kasi")

    holding.end = TODAY - datetime.timedelta(days=1)
    holding.save()
    page = today_screen(lumajang_admin)

    assert kasi_warning(lansia) in page
    assert f"{tuna.name}: tidak ada yang bekerja di meja Kepala Seksi" not in page


def test_a_kasi_desk_given_by_a_group_without_the_jabatan_is_warned(catalog, lumajang, lumajang_admin, demo_users):
    user = lumajang.users.create(username="kasi-lewat-grup", first_name="Kasi", last_name="Grup")
    warning = "Kasi Grup (kasi-lewat-grup) bekerja di meja Kepala Seksi lewat grup, tanpa jabatan"
    assert warning not in today_screen(lumajang_admin)

    user.groups.add(Group.objects.get(name="kasi"))
    page = today_screen(lumajang_admin)

    assert warning in page
    kasi = demo_users["lumajang-kasi"]  # holds the jabatan: never listed
    assert f"({kasi.username}) bekerja di meja" not in page


def add_plt(client, position, *, name, start, end):
    page_url = reverse("admin:agencies_position_change", args=[position.pk])
    data = form_data(client.get(page_url))
    row = int(data["officials-TOTAL_FORMS"])
    data.update({"officials-TOTAL_FORMS": str(row + 1), f"officials-{row}-name": name,
                 f"officials-{row}-acting": Official.PLT, f"officials-{row}-start": start.strftime("%d/%m/%Y"),
                 f"officials-{row}-end": end.strftime("%d/%m/%Y") if end else ""})  # fmt: skip
    return client.post(page_url, data)


def test_a_plt_over_the_definitive_kadis_is_saved_with_a_warning(catalog, lumajang, lumajang_admin):
    kadis = Position.objects.get(agency=lumajang, desk="kadis")
    definitive = kadis.officials.get()
    assert definitive.end is None and not definitive.acting  # the definitive Kadis has no end date

    response = add_plt(lumajang_admin, kadis, name="Drs. PLT KADIS", start=datetime.date(2026, 12, 1),
                       end=datetime.date(2026, 12, 31))  # fmt: skip

    assert response.status_code == 302
    assert kadis.officials.filter(name="Drs. PLT KADIS", acting=Official.PLT).exists()
    warnings = [m.message for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert warnings == [
        f"Selama 1–31 Desember 2026, yang bertindak sebagai {kadis.title} adalah Plt. Drs. PLT KADIS; "
        f"{definitive.name} tidak menjalankan jabatan ini pada periode itu."
    ]
    assert "Selama 1–31 Desember 2026" in html.unescape(lumajang_admin.get(response.url).content.decode())


def test_an_open_ended_plt_is_warned_from_its_start(catalog, lumajang, lumajang_admin):
    kadis = Position.objects.get(agency=lumajang, desk="kadis")
    definitive = kadis.officials.get()

    response = add_plt(lumajang_admin, kadis, name="PLT TANPA AKHIR", start=datetime.date(2026, 11, 28), end=None)

    warnings = [m.message for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert warnings == [
        f"Sejak 28 November 2026, yang bertindak sebagai {kadis.title} adalah Plt. PLT TANPA AKHIR; "
        f"{definitive.name} tidak menjalankan jabatan ini pada periode itu."
    ]


def test_a_definitive_holder_saved_alone_gets_no_warning(catalog, lumajang, lumajang_admin):
    kadis = Position.objects.get(agency=lumajang, desk="kadis")
    page_url = reverse("admin:agencies_position_change", args=[kadis.pk])
    data = form_data(lumajang_admin.get(page_url), title=kadis.title)
    data["officials-0-rank"] = "Pembina Utama Muda (IV/c)"  # a change to the definitive row only

    response = lumajang_admin.post(page_url, data)

    assert response.status_code == 302
    assert kadis.officials.get().rank == "Pembina Utama Muda (IV/c)"
    assert [m for m in get_messages(response.wsgi_request) if m.level_tag == "warning"] == []
