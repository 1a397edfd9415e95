from django.core.management import call_command


def test_a_kadis_sees_where_the_office_keeps_and_misses_its_standards(page, live_server, demo_users, login, screenshot):
    call_command("seed_demo", "--cases", "30", "--agency", "lumajang", verbosity=0)

    login("lumajang-kadis")
    page.goto(f"{live_server.url}/")

    assert page.get_by_role("heading", name="Kepatuhan standar waktu", exact=False).is_visible()
    assert page.locator("svg.chart").count() >= 2
    waiting = int(page.get_by_test_id("waiting").locator("strong").inner_text())
    screenshot("dashboard-kadis")
    page.get_by_test_id("waiting").click()
    assert page.url.endswith("/kotak-masuk/")
    assert f"{waiting} permohonan menunggu" in page.content()

    page.goto(f"{live_server.url}/laporan/mutu-baku/")
    assert page.get_by_role("heading", name="Per layanan (SOP)").is_visible()
    screenshot("report")


def test_the_dashboard_on_a_phone(page, live_server, demo_users, login, screenshot):
    page.set_viewport_size({"width": 390, "height": 844})
    login("lumajang-petugas")

    assert page.get_by_test_id("waiting").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot("dashboard-phone")
