import pytest
from django.urls import reverse

from agencies.models import Agency
from sop_catalog.models import SOP, Flow, Step

pytestmark = pytest.mark.django_db

INLINES = ["legal_bases", "qualifications", "related_sops", "equipment", "documents", "roles", "flows"]


def management(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def sop_form(agency, **extra):
    data = {
        "agency": agency.pk,
        "unit": "Bidang Linjamsos",
        "number": "427.42/IV/9.99/2026",
        "name": "Rekomendasi Uji Admin",
        "slug": "lumajang-uji-admin",
        "status": "active",
        "created": "2017-08",
        "revised": "",
        "effective": "2026-11-23",
        "approved_by_name": "Dra. DEWI SUSIYANTI",
        "approved_by_title": "Kepala Dinas Sosial",
        "approved_by_nip": "19640617 199603 2 002",
        "warning": "",
        "recording": "Pengarsipan",
        "source": "",
    }
    for prefix in INLINES:
        data.update(management(prefix, 0))
    data.update(management("legal_bases", 1))
    data.update({"legal_bases-0-order": "1", "legal_bases-0-text": "UU No. 11 Tahun 2009"})
    data.update(management("roles", 2))
    data.update({"roles-0-order": "1", "roles-0-label": "Staf", "roles-0-desk": "petugas"})
    data.update({"roles-1-order": "2", "roles-1-label": "Ka. Dinas", "roles-1-desk": "kadis"})
    data.update(management("flows", 1))
    data.update({"flows-0-order": "1", "flows-0-title": ""})
    data.update(extra)
    return data


def test_an_admin_builds_an_sop_with_steps_in_the_admin(admin_client, agencies):
    lumajang = Agency.objects.get(slug="lumajang")

    response = admin_client.post(reverse("admin:sop_catalog_sop_add"), sop_form(lumajang))

    assert response.status_code == 302, response.context["adminform"].form.errors
    sop = SOP.objects.get(slug="lumajang-uji-admin")
    flow = sop.flows.get()
    staf, kadis = sop.roles.order_by("order")
    steps = {
        **management("steps", 2),
        "sop": sop.pk,
        "order": "1",
        "title": "",
        "steps-0-no": "1",
        "steps-0-activity": "Petugas menerima berkas",
        "steps-0-actors": [staf.pk],
        "steps-0-time_text": "15 menit",
        "steps-1-no": "2",
        "steps-1-activity": "Kepala Dinas menandatangani rekomendasi",
        "steps-1-actors": [kadis.pk],
        "steps-1-time_text": "1- 3 Hari",
    }
    response = admin_client.post(reverse("admin:sop_catalog_flow_change", args=[flow.pk]), steps)

    assert response.status_code == 302
    first, second = Step.objects.filter(flow=flow).order_by("no")
    assert (first.time_min, first.time_max, first.time_unit) == (15, 15, "minute")
    assert (second.time_min, second.time_max, second.time_unit) == (1, 3, "day")
    assert second.effective_desk() == "kadis"
    assert (sop.status, sop.is_current) == (SOP.DRAFT, False)  # "status": "active" in the form is ignored
    assert admin_client.get(f"/katalog/{sop.slug}/").status_code == 404  # a draft is never public
    publish = reverse("admin:sop_catalog_sop_publish", args=[sop.pk])
    assert "Terbitkan versi 1" in admin_client.get(publish).content.decode()
    response = admin_client.post(publish, {"revised": "2026-12", "effective": "2026-12-02"})

    assert response.status_code == 302
    sop.refresh_from_db()
    assert (sop.status, sop.is_current, sop.revised, sop.effective) == (SOP.ACTIVE, True, "2026-12", "2026-12-02")
    page = admin_client.get(f"/katalog/{sop.slug}/").content.decode()
    assert "Kepala Dinas menandatangani rekomendasi" in page


def test_the_admin_refuses_a_bad_date_in_indonesian(admin_client, agencies):
    lumajang = Agency.objects.get(slug="lumajang")

    response = admin_client.post(reverse("admin:sop_catalog_sop_add"), sop_form(lumajang, created="2017-13"))

    assert response.status_code == 200
    assert "TTTT-BB-HH atau TTTT-BB" in response.content.decode()
    assert not SOP.objects.filter(slug="lumajang-uji-admin").exists()


def test_the_admin_searches_and_filters_sops(admin_client, sample_sop):
    listing = admin_client.get(reverse("admin:sop_catalog_sop_changelist"), {"q": "400.9"})
    by_desk = admin_client.get(reverse("admin:sop_catalog_sop_changelist"), {"desk": "sekdin"})
    no_desk = admin_client.get(reverse("admin:sop_catalog_sop_changelist"), {"desk": "peksos"})

    assert sample_sop.name in listing.content.decode()
    assert sample_sop.name in by_desk.content.decode()
    assert sample_sop.name not in no_desk.content.decode()


def test_the_admin_links_to_the_public_page(admin_client, sample_sop):
    response = admin_client.get(reverse("admin:sop_catalog_sop_change", args=[sample_sop.pk]))

    assert f'href="/katalog/{sample_sop.slug}/"' in response.content.decode()


def test_a_locked_sop_is_read_only_in_the_admin(admin_client, sample_sop):
    SOP.objects.filter(pk=sample_sop.pk).update(locked=True)
    flow = Flow.objects.get(sop=sample_sop)

    sop_page = admin_client.get(reverse("admin:sop_catalog_sop_change", args=[sample_sop.pk]))
    response = admin_client.post(
        reverse("admin:sop_catalog_sop_change", args=[sample_sop.pk]),
        sop_form(sample_sop.agency, name="Diubah", slug=sample_sop.slug),
    )
    flow_post = admin_client.post(
        reverse("admin:sop_catalog_flow_change", args=[flow.pk]),
        {**management("steps", 0), "sop": sample_sop.pk, "order": "1", "title": "diubah"},
    )

    assert 'name="name"' not in sop_page.content.decode()
    assert response.status_code == 403
    assert flow_post.status_code == 403
    assert SOP.objects.get(pk=sample_sop.pk).name == "Penerbitan Surat Pernyataan Miskin (SPM)"


def test_the_copy_as_new_version_action(admin_client, sample_sop):
    response = admin_client.post(
        reverse("admin:sop_catalog_sop_changelist"),
        {"action": "copy_as_new_version", "_selected_action": [sample_sop.pk]},
        follow=True,
    )

    assert "konsep versi 2 dibuat; versi 1 tetap berlaku" in response.content.decode()
    assert SOP.objects.get(slug=sample_sop.slug, is_current=True).version == 1
    draft = SOP.objects.get(slug=sample_sop.slug, version=2)
    assert (draft.status, draft.is_current) == (SOP.DRAFT, False)
    again = admin_client.post(
        reverse("admin:sop_catalog_sop_changelist"),
        {"action": "copy_as_new_version", "_selected_action": [sample_sop.pk]},
        follow=True,
    )
    assert "konsep versi 2 sudah ada" in again.content.decode()
    assert SOP.objects.filter(slug=sample_sop.slug).count() == 2


def test_the_copy_to_another_agency_action_asks_which_agency(admin_client, sample_sop, agencies):
    url = reverse("admin:sop_catalog_sop_changelist")
    ask = admin_client.post(url, {"action": "copy_to_other_agency", "_selected_action": [sample_sop.pk]})
    solok = Agency.objects.get(slug="solok")

    done = admin_client.post(
        url,
        {"action": "copy_to_other_agency", "_selected_action": [sample_sop.pk], "agency": solok.pk, "apply": "1"},
        follow=True,
    )

    assert "Instansi tujuan" in ask.content.decode()
    assert "disalin sebagai konsep solok-spm" in done.content.decode()
    assert SOP.objects.get(slug="solok-spm").status == SOP.DRAFT


def steps_post(sop, staf, kadis, **extra):
    return {
        **management("steps", 2),
        "sop": sop.pk,
        "order": "1",
        "title": "",
        "steps-0-no": "1",
        "steps-0-activity": "Petugas menerima berkas",
        "steps-0-actors": [staf.pk],
        "steps-0-time_text": "15 menit",
        "steps-1-no": "2",
        "steps-1-activity": "Kepala Dinas menyetujui",
        "steps-1-actors": [kadis.pk],
        "steps-1-time_text": "1- 3 Hari",
        **extra,
    }


@pytest.fixture
def admin_sop(admin_client, agencies):
    admin_client.post(reverse("admin:sop_catalog_sop_add"), sop_form(Agency.objects.get(slug="lumajang")))
    sop = SOP.objects.get(slug="lumajang-uji-admin")
    return sop, *sop.roles.order_by("order")


def test_the_admin_marks_the_kadis_step_that_signs(admin_client, admin_sop):
    sop, staf, kadis = admin_sop
    flow = sop.flows.get()

    response = admin_client.post(
        reverse("admin:sop_catalog_flow_change", args=[flow.pk]),
        steps_post(sop, staf, kadis, **{"steps-1-signs": "on"}),
    )

    assert response.status_code == 302
    assert list(Step.objects.filter(flow=flow, signs=True).values_list("no", flat=True)) == [2]


def test_the_admin_refuses_a_signing_mark_on_the_front_desk_step(admin_client, admin_sop):
    sop, staf, kadis = admin_sop
    flow = sop.flows.get()

    response = admin_client.post(
        reverse("admin:sop_catalog_flow_change", args=[flow.pk]),
        steps_post(sop, staf, kadis, **{"steps-0-signs": "on"}),
    )

    assert response.status_code == 200
    assert "Hanya langkah di meja Kepala Dinas" in response.content.decode()
    assert not Step.objects.filter(flow=flow).exists()


def test_the_admin_refuses_two_signing_steps_in_one_flow(admin_client, admin_sop):
    sop, staf, kadis = admin_sop
    flow = sop.flows.get()
    marks = {"steps-0-signs": "on", "steps-0-actors": [kadis.pk], "steps-1-signs": "on"}

    response = admin_client.post(
        reverse("admin:sop_catalog_flow_change", args=[flow.pk]), steps_post(sop, staf, kadis, **marks)
    )

    assert response.status_code == 200
    assert "Hanya satu langkah per alur" in response.content.decode()
    assert not Step.objects.filter(flow=flow).exists()
