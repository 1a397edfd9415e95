import json

from django.conf import settings

from cases import intake
from cases.models import Case, RecapJob
from sop_catalog.models import SOP
from sop_catalog.services import import_sops
from tests.cases.test_batch_intake import HEADERS, row
from tests.registers import extracts


def test_a_recap_confirmed_in_the_browser_shows_its_progress_until_done(
    page, live_server, demo_users, login, screenshot, tmp_path, monkeypatch
):
    path = settings.BASE_DIR / "fixtures" / "sops" / "lumajang-santunan-kematian.json"
    import_sops(json.loads(path.read_text(encoding="utf-8")))
    santunan = SOP.objects.get(slug="lumajang-santunan-kematian", is_current=True)
    monkeypatch.setattr(intake, "CHUNK", 2)
    recap = extracts.write_csv(tmp_path / "rekap-tempeh.csv", HEADERS, [row(n) for n in range(1, 8)])
    progress = []
    page.on("dialog", lambda dialog: dialog.accept())

    def watch(route):
        response = route.fetch()
        progress.append(response.json())
        route.fulfill(response=response)

    page.route("**/lanjut/", watch)
    login("lumajang-petugas")

    page.goto(f"{live_server.url}/permohonan/rekap/")
    page.select_option("#id_sop", str(santunan.pk))
    page.fill("#id_district", "Tempeh")
    page.set_input_files("#id_file", str(recap))
    page.click("button:has-text('Pratinjau')")
    assert page.get_by_test_id("recap-ok").inner_text() == "7"
    page.click("[data-testid=recap-confirm]")
    page.wait_for_selector("text=Selesai: 7 baris diproses")
    screenshot("recap-done")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("recap-done-phone")

    assert [p["done"] for p in progress] == [4, 6, 7]
    assert progress[-1]["finished"] and RecapJob.objects.get().finished_at
    assert Case.objects.filter(sop=santunan).exclude(number="").count() == 7
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
