"""Organisation (#14) in the browser: the SPM and a rehabilitation SOP of Lumajang, opened by the same
front desk, reach two different Kasi and then two different Kabid."""

from cases.models import Case
from sop_catalog.models import SOP
from tests.browser.inplace import click_in_place
from tests.factories import CaseFactory


def to_kasi(case, walk):
    while Case.objects.get(pk=case.pk).current_step.desk != "kasi":
        current = Case.objects.get(pk=case.pk).current_step
        case = walk(case, branch=current.sop_step.branches.first().label if current.sop_step.branches.exists() else "")
    return Case.objects.get(pk=case.pk)


def inbox_text(page, live_server, login, username):
    page.context.clear_cookies()
    login(username)
    page.goto(f"{live_server.url}/kotak-masuk/")
    return page.get_by_test_id("inbox").inner_text() if page.get_by_test_id("inbox").count() else page.content()


def complete_from_inbox(page, number):
    page.get_by_role("link", name=number).click()
    form = page.get_by_test_id("complete-form")
    branches = form.locator("input[type=radio]")
    if branches.count():
        branches.first.check()
    click_in_place(page, form.get_by_test_id("complete"))  # htmx: no page load to wait for


def test_two_sops_of_two_bidang_reach_two_kasi_and_two_kabid(page, live_server, catalog, walk, login, screenshot):
    page.on("dialog", lambda dialog: dialog.accept())
    rehab_sop = SOP.objects.get(slug="lumajang-lansia-terlantar-griya-lansia", is_current=True)
    spm = to_kasi(CaseFactory(registered=True), walk)  # both opened by lumajang-petugas
    rehab = to_kasi(CaseFactory(registered=True, sop=rehab_sop), walk)
    assert spm.created_by == rehab.created_by

    linjamsos = inbox_text(page, live_server, login, "lumajang-kasi")
    assert spm.number in linjamsos and rehab.number not in linjamsos
    screenshot("org-inbox-kasi-linjamsos")
    complete_from_inbox(page, spm.number)

    rehsos = inbox_text(page, live_server, login, "lumajang-kasi-rehsos")
    assert rehab.number in rehsos and spm.number not in rehsos
    complete_from_inbox(page, rehab.number)

    kabid = inbox_text(page, live_server, login, "lumajang-kabid")
    kabid_rehsos = inbox_text(page, live_server, login, "lumajang-kabid-rehsos")
    assert spm.number in kabid and rehab.number not in kabid
    assert rehab.number in kabid_rehsos and spm.number not in kabid_rehsos
    assert Case.objects.get(pk=spm.pk).state == Case.objects.get(pk=rehab.pk).state == Case.AT_KABID


def test_the_admin_sees_who_holds_what_today(page, live_server, catalog, login, screenshot):
    login("lumajang-admin")
    page.goto(f"{live_server.url}/admin/agencies/position/hari-ini/")

    text = page.locator("#content-main").inner_text()
    assert "Bidang Perlindungan dan Jaminan Sosial" in text and "Dra. DEWI SUSIYANTI" in text
    screenshot("org-today-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("org-today-390")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
