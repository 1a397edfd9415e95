"""Susun langkah: a flow's steps in one table, numbered by order, branches inline with picked targets."""

import pytest
from django.urls import reverse

from sop_catalog.models import SOP, Flow, Role, Step
from tests.factories import SOPFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, demo_users):
    client.force_login(demo_users["lumajang-admin"])
    return client


@pytest.fixture
def blank_flow(lumajang):
    sop = SOPFactory(status=SOP.DRAFT, is_current=False, approved_by_name="Dra. X", approved_by_title="Kepala Dinas")
    for order, (label, desk) in enumerate([("Petugas", "petugas"), ("Kasi", "kasi"), ("Kadis", "kadis")], 1):
        Role.objects.create(sop=sop, order=order, label=label, desk=desk)
    return Flow.objects.create(sop=sop, order=1)


def row(index, key, activity, role, pos=None, time="10 menit", branches=(), **extra):
    data = {
        f"row-{index}-key": key,
        f"row-{index}-pos": pos if pos is not None else index + 1,
        f"row-{index}-activity": activity,
        f"row-{index}-actors": [role.pk],
        f"row-{index}-time_text": time,
    }
    for b, (label, target) in enumerate(branches):
        data[f"row-{index}-b{b}-label"] = label
        data[f"row-{index}-b{b}-target"] = target
    data.update({f"row-{index}-{k}": v for k, v in extra.items()})
    return data


def six_steps(flow):
    petugas, kasi, kadis = flow.sop.roles.order_by("order")
    data = {"rows": 6, "action": "save"}
    data.update(row(0, "n1", "Petugas menerima berkas", petugas))
    data.update(
        row(1, "n2", "Petugas memeriksa kelengkapan", petugas, branches=[("Ya", "next"), ("Tidak", "applicant")])
    )
    data.update(row(2, "n3", "Kasi memverifikasi", kasi, time="1 hari"))
    data.update(row(3, "n4", "Kasi menyiapkan konsep surat", kasi))
    data.update(row(4, "n5", "Kadis menandatangani", kadis, signs="on"))
    data.update(row(5, "n6", "Petugas menyerahkan surat", petugas, time="15 menit"))
    return data


def steps_of(flow):
    return list(Step.objects.filter(flow=flow).order_by("no").values_list("no", "activity"))


def test_six_steps_with_a_decision_are_saved_numbered_in_one_post(admin, blank_flow):
    url = reverse("admin:sop_catalog_flow_author", args=[blank_flow.pk])

    response = admin.post(url, six_steps(blank_flow))

    assert response.status_code == 302
    assert [no for no, _ in steps_of(blank_flow)] == [1, 2, 3, 4, 5, 6]
    decision = Step.objects.get(flow=blank_flow, no=2)
    assert {(b.label, b.action) for b in decision.branches.all()} == {("Ya", "next"), ("Tidak", "applicant")}
    assert Step.objects.get(flow=blank_flow, no=5).signs
    assert (Step.objects.get(flow=blank_flow, no=3).time_max, Step.objects.get(flow=blank_flow, no=3).time_unit) == (
        1,
        "day",
    )
    page = admin.get(url).content.decode()
    assert "10 menit" in page and "E+" not in page  # the reading as written
    assert "Ya: lanjut" in page and "Tidak: ke pemohon" in page  # the flowchart preview


def test_moving_inserting_and_deleting_renumber_and_keep_jumps(admin, blank_flow):
    url = reverse("admin:sop_catalog_flow_author", args=[blank_flow.pk])
    admin.post(url, six_steps(blank_flow))
    keys = {activity: f"s{pk}" for pk, activity in Step.objects.filter(flow=blank_flow).values_list("pk", "activity")}
    kept_pk = Step.objects.get(flow=blank_flow, no=3).pk
    petugas, kasi, kadis = blank_flow.sop.roles.order_by("order")
    data = {"rows": 7, "action": "save"}
    # Step 1 deleted; a new step inserted before "Kasi memverifikasi"; step 4 jumps back to that one.
    data.update(row(0, keys["Petugas menerima berkas"], "Petugas menerima berkas", petugas, pos=1, delete="on"))
    data.update(row(1, keys["Petugas memeriksa kelengkapan"], "Petugas memeriksa kelengkapan", petugas, pos=2))
    data.update(row(2, "j1", "Kasi mencatat di buku agenda", kasi, pos=2.5))
    data.update(row(3, keys["Kasi memverifikasi"], "Kasi memverifikasi", kasi, pos=3))
    target = f"row:{keys['Kasi memverifikasi']}"
    data.update(
        row(4, keys["Kasi menyiapkan konsep surat"], "Kasi menyiapkan konsep surat", kasi, pos=4,
            branches=[("Benar", "next"), ("Salah", target)])
    )  # fmt: skip
    data.update(row(5, keys["Kadis menandatangani"], "Kadis menandatangani", kadis, pos=6, signs="on"))
    data.update(row(6, keys["Petugas menyerahkan surat"], "Petugas menyerahkan surat", petugas, pos=5))

    response = admin.post(url, data)

    assert response.status_code == 302
    assert steps_of(blank_flow) == [
        (1, "Petugas memeriksa kelengkapan"),
        (2, "Kasi mencatat di buku agenda"),
        (3, "Kasi memverifikasi"),
        (4, "Kasi menyiapkan konsep surat"),
        (5, "Petugas menyerahkan surat"),
        (6, "Kadis menandatangani"),
    ]
    assert Step.objects.get(flow=blank_flow, no=3).pk == kept_pk  # updated in place, not re-created
    jump = Step.objects.get(flow=blank_flow, no=4).branches.get(label="Salah")
    assert (jump.action, jump.step_no) == ("step", 3)


def test_the_editor_refuses_bad_rows_in_indonesian_and_saves_nothing(admin, blank_flow):
    url = reverse("admin:sop_catalog_flow_author", args=[blank_flow.pk])
    data = six_steps(blank_flow)
    data["row-0-signs"] = "on"  # a petugas step cannot sign, and two steps would sign
    data["row-2-b0-label"], data["row-2-b0-target"] = "Kembali", "applicant"  # not from the front desk

    page = admin.post(url, data).content.decode()

    assert "Hanya satu langkah per alur yang menandatangani/menyetujui." in page
    assert "Langkah 3: Kembali ke pemohon hanya dari langkah petugas pelayanan" in page
    assert steps_of(blank_flow) == []


def test_the_preview_draws_unsaved_rows_and_saves_nothing(admin, blank_flow):
    url = reverse("admin:sop_catalog_flow_author", args=[blank_flow.pk])
    data = {**six_steps(blank_flow), "action": "preview"}

    fragment = admin.post(url, data, headers={"X-Requested-With": "fetch"})

    assert fragment.status_code == 200
    assert "Petugas memeriksa kelengkapan" in fragment.content.decode()
    assert 'class="steps"' in fragment.content.decode()
    assert steps_of(blank_flow) == []


def test_another_agencys_admin_cannot_open_or_write_the_editor(client, demo_users, blank_flow):
    client.force_login(demo_users["solok-admin"])
    url = reverse("admin:sop_catalog_flow_author", args=[blank_flow.pk])

    assert client.get(url).status_code in (302, 404)
    assert client.post(url, six_steps(blank_flow)).status_code in (302, 404)
    assert steps_of(blank_flow) == []


def test_a_locked_flow_is_shown_but_not_written(admin, blank_flow):
    url = reverse("admin:sop_catalog_flow_author", args=[blank_flow.pk])
    admin.post(url, six_steps(blank_flow))
    SOP.objects.filter(pk=blank_flow.sop_id).update(locked=True)
    before = steps_of(blank_flow)

    page = admin.get(url).content.decode()
    response = admin.post(url, {**six_steps(blank_flow), "row-0-activity": "diubah"})

    assert "Terkunci" in page
    assert response.status_code == 403
    assert steps_of(blank_flow) == before


def test_a_new_sop_goes_on_to_its_steps(admin, lumajang):
    from tests.sop_catalog.test_admin import sop_form  # noqa: PLC0415

    data = sop_form(lumajang)
    data.update({"flows-TOTAL_FORMS": "0"})

    response = admin.post(reverse("admin:sop_catalog_sop_add"), data)

    flow = Flow.objects.get(sop__slug="lumajang-uji-admin")
    assert response["Location"] == reverse("admin:sop_catalog_flow_author", args=[flow.pk])


def test_the_editor_sets_the_berita_acara_a_step_produces(admin, blank_flow):
    url = reverse("admin:sop_catalog_flow_author", args=[blank_flow.pk])
    data = six_steps(blank_flow)
    data["row-5-document"] = "ba_serah_terima"
    data["row-4-document"] = "bukan-dokumen"  # not a berita acara: ignored

    admin.post(url, data)

    assert list(Step.objects.filter(flow=blank_flow).exclude(document="").values_list("no", "document")) == [
        (6, "ba_serah_terima")
    ]
    assert 'value="ba_serah_terima" selected' in admin.get(url).content.decode()
