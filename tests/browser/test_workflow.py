from cases.models import Case
from tests.browser.inplace import click_in_place
from tests.conftest import give_all_documents


def open_from_inbox(page, live_server, number):
    page.goto(f"{live_server.url}/kotak-masuk/")
    page.get_by_role("link", name=number).click()


def complete(page, branch=None):
    form = page.get_by_test_id("complete-form")
    if branch:
        form.get_by_label(branch, exact=True).check()
    click_in_place(page, form.get_by_test_id("complete"))


def test_a_case_walks_petugas_kasi_kabid_sekdin_kadis_in_the_browser(
    page, live_server, registered, petugas, login, screenshot, browser
):
    give_all_documents(registered, petugas)
    number = registered.number
    page.on("dialog", lambda dialog: dialog.accept())

    login("lumajang-petugas")
    open_from_inbox(page, live_server, number)
    complete(page)
    complete(page, branch="Ya")
    assert page.get_by_test_id("case-state").inner_text() == "Di Kepala Seksi"

    for username, state, shot in [
        ("lumajang-kasi", "Di Kepala Bidang", "inbox-kasi"),
        ("lumajang-kabid", "Di Sekretaris Dinas", None),
        ("lumajang-sekdin", "Di Kepala Dinas", None),
        ("lumajang-kadis", "Disetujui", "case-page-kadis"),
    ]:
        page.context.clear_cookies()
        login(username)
        page.goto(f"{live_server.url}/kotak-masuk/")
        if shot == "inbox-kasi":
            screenshot(shot)
        assert number in page.get_by_test_id("inbox").inner_text()
        page.get_by_role("link", name=number).click()
        if shot == "case-page-kadis":
            screenshot(shot)
        complete(page)
        assert page.get_by_test_id("case-state").inner_text() == state

    page.context.clear_cookies()
    login("lumajang-petugas")
    open_from_inbox(page, live_server, number)
    complete(page)
    assert page.get_by_test_id("case-state").inner_text() == "Selesai"
    screenshot("case-completed")
    assert Case.objects.get(pk=registered.pk).state == Case.COMPLETED
    assert page.get_by_test_id("audit").locator("tbody tr").count() == 14
