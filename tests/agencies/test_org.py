"""Organisation (issue #14): cases go to the positions of their SOP's bidang; at any moment one holder
acts in a position, a Plt. or Plh. before the definitive holder; a handover moves the inbox and keeps
the history; letters carry the block of who acts on the signing day."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from agencies import org
from agencies.models import Official, Position, Unit
from cases import letters, selectors, workflow
from cases.models import Case, IssuedDocument, Notification
from sop_catalog.models import SOP
from tests.conftest import hand_over
from tests.factories import CaseFactory

TODAY = timezone.localdate()
# A Plt. for a month that holds today, as in the issue (1–31 December, a letter signed on the 2nd).
START, END = TODAY - datetime.timedelta(days=1), TODAY + datetime.timedelta(days=29)


def kasi_position(slug_user, demo_users):
    """The position the demo account holds at the Kasi desk."""
    return Position.objects.get(officials__user=demo_users[slug_user], desk="kasi")


def walk_to_kasi(case, walk):
    while Case.objects.get(pk=case.pk).current_step.desk != "kasi":
        current = Case.objects.get(pk=case.pk).current_step
        case = walk(case, branch=current.sop_step.branches.first().label if current.sop_step.branches.exists() else "")
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def linjamsos_case(catalog, walk):
    """An SPM of Lumajang (Bidang Perlindungan dan Jaminan Sosial) walked up to its Kasi."""
    return walk_to_kasi(CaseFactory(registered=True), walk)


@pytest.fixture
def rehsos_case(catalog, demo_users, walk):
    """A rehabilitation SOP of Lumajang walked up to its Kasi."""
    sop = SOP.objects.get(slug="lumajang-lansia-terlantar-griya-lansia", is_current=True)
    return walk_to_kasi(CaseFactory(registered=True, sop=sop), walk)


def test_the_spm_and_a_rehabilitation_sop_belong_to_two_bidang(catalog):
    spm = SOP.objects.get(slug="lumajang-spm", is_current=True)
    rehab = SOP.objects.get(slug="lumajang-lansia-terlantar-griya-lansia", is_current=True)

    assert spm.org_unit.bidang.name == "Bidang Perlindungan dan Jaminan Sosial"
    assert rehab.org_unit.bidang.name == "Bidang Pelayanan dan Rehabilitasi Sosial"


def test_a_linjamsos_case_reaches_only_the_linjamsos_kasi(linjamsos_case, rehsos_case, demo_users):
    linjamsos, rehsos = demo_users["lumajang-kasi"], demo_users["lumajang-kasi-rehsos"]
    assert linjamsos_case.current_step.desk == rehsos_case.current_step.desk == "kasi"

    assert set(selectors.inbox(user=linjamsos)) == {linjamsos_case}
    assert set(selectors.inbox(user=rehsos)) == {rehsos_case}
    assert selectors.desk_summary(user=rehsos)["waiting"] == 1
    assert linjamsos_case.holds(linjamsos) and not linjamsos_case.holds(rehsos)
    assert rehsos_case.holds(rehsos) and not rehsos_case.holds(linjamsos)
    notified = set(Notification.objects.filter(case=linjamsos_case).values_list("user__username", flat=True))
    assert "lumajang-kasi" in notified and "lumajang-kasi-rehsos" not in notified


def test_the_rehsos_kasi_never_lists_counts_or_exports_a_linjamsos_case(
    linjamsos_case, rehsos_case, demo_users, client
):
    client.force_login(demo_users["lumajang-kasi-rehsos"])
    today = TODAY.isoformat()

    listing = client.get(reverse("cases:cases")).content.decode()
    exported = client.get(reverse("cases:export", args=["permohonan", "csv"]), {"dari": today, "sampai": today})
    page = client.get(reverse("cases:case", args=[linjamsos_case.pk]))

    assert rehsos_case.number in listing and linjamsos_case.number not in listing
    text = exported.content.decode("utf-8-sig")
    assert rehsos_case.number in text and linjamsos_case.number not in text
    assert page.status_code == 404
    report = client.get(reverse("cases:report")).context["figures"]
    assert {f.label for f in report["sops"]} == {rehsos_case.sop.name}


def test_the_kepala_dinas_sees_both_bidang(linjamsos_case, rehsos_case, demo_users):
    kadis = demo_users["lumajang-kadis"]

    assert org.visible_units(kadis) is None
    assert {c.pk for c in selectors.cases_of_agency(agency=kadis.agency, units=org.visible_units(kadis))} >= {
        linjamsos_case.pk,
        rehsos_case.pk,
    }


def test_a_plt_acts_in_the_period_and_the_definitive_holder_after_it(catalog, demo_users, django_user_model):
    kadis = Position.objects.get(agency__slug="lumajang", desk="kadis")
    definitive = kadis.officials.get()
    assert definitive.end is None  # the definitive Kadis has no end date
    plt_user = django_user_model.objects.create_user("plt-kadis", agency=kadis.agency)
    plt = Official(position=kadis, name="Drs. PELAKSANA TUGAS, M.Si.", nip="19700202 199503 1 002",
                   rank="Pembina Tingkat I (IV/b)", acting=Official.PLT, user=plt_user,
                   start=START, end=END)  # fmt: skip
    plt.full_clean()
    plt.save()

    during = letters.signer_block(kadis.agency, None, TODAY)
    after = letters.signer_block(kadis.agency, None, END + datetime.timedelta(days=1))
    signed_by_plt = letters.signer_block(kadis.agency, plt_user, TODAY)

    assert kadis.holder_on(TODAY) == plt
    assert (during["title"], during["name"]) == ("Plt. Kepala Dinas Sosial", "Drs. PELAKSANA TUGAS, M.Si.")
    assert (signed_by_plt["title"], signed_by_plt["nip"]) == ("Plt. Kepala Dinas Sosial", "19700202 199503 1 002")
    assert (after["title"], after["name"]) == ("Kepala Dinas Sosial", definitive.name)
    # Today the Plt.'s account works at the Kadis desk and the definitive Kadis's does not.
    assert [desk for desk, _unit, _pk in org.held_positions(plt_user)] == ["kadis"]
    assert org.held_positions(definitive.user) == []


def test_two_definitive_holders_at_once_are_refused(catalog):
    kasi = Position.objects.get(agency__slug="lumajang", officials__user__username="lumajang-kasi")
    second = Official(position=kasi, name="PEJABAT KEDUA", start=datetime.date(2026, 1, 1))

    with pytest.raises(ValidationError) as refused:
        second.full_clean()

    assert "tumpang tindih dengan pejabat definitif lain" in str(refused.value)
    acting = Official(position=kasi, name="PLH KASI", acting=Official.PLH, start=datetime.date(2026, 12, 1),
                      end=datetime.date(2026, 12, 5))  # fmt: skip
    acting.full_clean()  # a Plh. over the definitive holder is the rule
    acting.save()
    with pytest.raises(ValidationError):  # a second Plh. at the same time
        Official(position=kasi, name="PLH KEDUA", acting=Official.PLH, start=datetime.date(2026, 12, 3)).full_clean()
    # A Plt. whose period covers the Plh.'s: allowed, the Plh. acts during theirs.
    Official(position=kasi, name="PLT KASI", acting=Official.PLT, start=datetime.date(2026, 11, 1)).full_clean()


def test_an_open_ended_plt_gives_way_to_the_definitive_holder_appointed_after_it(catalog):
    kadis = Position.objects.get(agency__slug="lumajang", desk="kadis")
    old = kadis.officials.get()
    old.end = datetime.date(2026, 10, 31)
    old.save()
    plt = Official.objects.create(
        position=kadis, name="PLT KADIS", acting=Official.PLT, start=datetime.date(2026, 11, 1)
    )
    new = Official.objects.create(position=kadis, name="KADIS BARU", start=datetime.date(2026, 12, 15))

    assert kadis.holder_on(datetime.date(2026, 12, 14)) == plt
    assert kadis.holder_on(datetime.date(2026, 12, 15)) == new


def test_a_handover_moves_the_inbox_and_keeps_the_history(linjamsos_case, demo_users, django_user_model):
    position = kasi_position("lumajang-kasi", demo_users)
    leaving = position.officials.get(user=demo_users["lumajang-kasi"])
    successor = django_user_model.objects.create_user("kasi-baru", agency=position.agency)
    step_before = list(linjamsos_case.steps.values_list("pk", "desk", "status"))

    hand_over(position, leaving.user, successor, name="KEPALA SEKSI BARU, S.Sos.")

    old, new = (django_user_model.objects.get(pk=u.pk) for u in (demo_users["lumajang-kasi"], successor))
    assert list(selectors.inbox(user=new)) == [linjamsos_case]
    assert list(selectors.inbox(user=old)) == []
    assert list(position.officials.order_by("pk").values_list("name", flat=True)) == [
        leaving.name,
        "KEPALA SEKSI BARU, S.Sos.",
    ]
    assert list(linjamsos_case.steps.values_list("pk", "desk", "status")) == step_before
    kasi_step = linjamsos_case.current_step_id
    assert linjamsos_case.holds(new) and not linjamsos_case.holds(old)
    case = workflow.complete_step(case=linjamsos_case, user=new, step_id=kasi_step, branch="Ya")
    # The successor acts on the case the predecessor held: the Kasi step is theirs, the case moves on.
    assert case.steps.get(pk=kasi_step).status == "done" and case.steps.get(pk=kasi_step).completed_by == new
    assert case.current_step_id != kasi_step and case.current_step.desk == "kabid"


def test_a_disposisi_to_a_position_follows_its_holder(catalog, demo_users, walk, django_user_model):
    sop = SOP.objects.get(slug="lumajang-spm", is_current=True)
    kadis = demo_users["lumajang-kadis"]
    kabid_position = Position.objects.get(officials__user=demo_users["lumajang-kabid"])
    rehsos_kabid = Position.objects.get(officials__user=demo_users["lumajang-kabid-rehsos"])
    offered = org.disposition_positions(kadis, kadis.agency_id, "kabid", sop.org_unit_id)

    assert kabid_position in offered and rehsos_kabid not in offered
    assert org.position_label(kabid_position).startswith(f"{kabid_position.title} — ")
    # The Kabid of another bidang is not a disposisi addressee for this case.
    unit = Unit.objects.get(agency=kadis.agency, name="Bidang Perlindungan dan Jaminan Sosial")
    assert kabid_position.unit == unit


def test_a_user_with_no_desk_sees_no_case(catalog, django_user_model, linjamsos_case):
    nobody = django_user_model.objects.create_user("tanpa-meja", agency=linjamsos_case.agency)

    assert nobody.desk_scopes == {}
    assert list(Case.objects.filter(org.visible_q(nobody))) == []


def test_a_letter_signed_during_a_plts_period_carries_the_plts_block(catalog, walk, django_user_model):
    """The issue's case: a Plt. Kepala Dinas for a month while the definitive Kadis has no end date; the
    SPM signed in that month names the Plt., in the Plt.'s block."""
    kadis = Position.objects.get(agency__slug="lumajang", desk="kadis")
    plt_user = django_user_model.objects.create_user("plt-kadis-surat", agency=kadis.agency)
    Official.objects.create(position=kadis, name="Drs. PELAKSANA TUGAS, M.Si.", nip="19700202 199503 1 002",
                            rank="Pembina Tingkat I (IV/b)", acting=Official.PLT, user=plt_user, start=START,
                            end=END)  # fmt: skip
    case = CaseFactory(registered=True)
    while Case.objects.get(pk=case.pk).state != Case.AT_KADIS:
        current = Case.objects.get(pk=case.pk).current_step
        case = walk(case, branch="Ya" if current.sop_step.branches.exists() else "")
    case = Case.objects.get(pk=case.pk)

    case = workflow.complete_step(case=case, user=plt_user, step_id=case.current_step_id)

    letter = IssuedDocument.objects.get(case=case, status=IssuedDocument.ISSUED)
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(letter.pdf.read())).pages).split())
    assert "Plt. Kepala Dinas Sosial" in text and "Drs. PELAKSANA TUGAS, M.Si." in text, text[-400:]
    assert "19700202 199503 1 002" in text and "DEWI SUSIYANTI" not in text
    assert letter.signed_by == plt_user
