"""Two consecutive steps at the petugas desk completed in place (htmx): no page load between them,
the next step's form where the last one was, each step with its own note, and the clicks held.
Screenshots after an in-place completion at 1366x768 and 390x844 (test-artifacts/)."""

from cases.models import Case, CaseStep
from tests.browser.test_office_speed import OFFICE, PHONE, Clicks, in_first_screen, no_sideways_scroll
from tests.conftest import give_all_documents


def test_two_steps_are_completed_in_place_without_a_reload(page, live_server, registered, petugas, login, screenshot):
    give_all_documents(registered, petugas)
    first_step = registered.current_step_id
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    loads = []
    login("lumajang-petugas")
    page.goto(f"{live_server.url}/permohonan/{registered.pk}/")
    page.on("load", lambda _: loads.append(page.url))
    page.evaluate("window.stillThisPage = 'ya'")  # a reload would lose it
    click = Clicks(page)

    form = page.get_by_test_id("complete-form")
    form.get_by_label("Catatan").fill("Wawancara selesai")
    click.in_place(form.get_by_test_id("complete"))

    case = Case.objects.get(pk=registered.pk)
    assert case.current_step_id != first_step and case.state == Case.AT_PETUGAS
    form = page.get_by_test_id("complete-form")
    assert form.locator("input[name=step]").input_value() == str(case.current_step_id)
    assert form.get_by_label("Catatan").input_value() == ""  # the next step's own note
    assert "Langkah selesai." in page.get_by_test_id("panel-messages").inner_text()
    page.screenshot(path=str(screenshot("in-place-step-1366")).replace(".png", "-screen.png"))  # and the first screen
    assert in_first_screen(page, form.get_by_test_id("complete"))
    assert page.get_by_test_id("step-1").get_by_text("Catatan: Wawancara selesai").is_visible()
    page.set_viewport_size(PHONE)
    assert no_sideways_scroll(page)
    screenshot("in-place-step-390")
    page.set_viewport_size(OFFICE)

    form.get_by_label("Ya", exact=True).check()
    form.get_by_label("Catatan").fill("Berkas lengkap")
    click.in_place(form.get_by_test_id("complete"))

    assert page.evaluate("window.stillThisPage") == "ya" and loads == []
    case = Case.objects.get(pk=registered.pk)
    assert case.state == Case.AT_KASI
    assert page.get_by_test_id("case-state").inner_text() == "Di Kepala Seksi"  # the header came along
    handed = page.get_by_test_id("handed-off")
    assert "Permohonan diteruskan ke meja Kepala Seksi" in handed.inner_text()
    assert handed.get_by_test_id("back-to-inbox").get_attribute("href") == "/kotak-masuk/"
    assert page.get_by_test_id("complete-form").count() == 0
    notes = dict(CaseStep.objects.filter(case=case, status=CaseStep.DONE).values_list("position", "note"))
    assert notes == {1: "Wawancara selesai", 2: "Berkas lengkap"}
    assert page.get_by_test_id("step-2").get_by_text("Catatan: Berkas lengkap").is_visible()
    screenshot("in-place-handed-off-1366")
    assert click.count == 2 and asked == []  # two clicks, two steps; "Ya" asks nothing
