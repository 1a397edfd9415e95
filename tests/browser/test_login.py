def test_demo_kasi_sees_desk_and_agency_in_header(page, live_server, demo_users, login, screenshot):
    login("lumajang-kasi")

    assert page.get_by_test_id("agency").inner_text() == "Dinas Sosial Kabupaten Lumajang"
    assert page.get_by_test_id("desk").inner_text() == "Kepala Seksi"
    screenshot("home-kasi")


def test_wrong_password_shows_indonesian_message(page, live_server, demo_users, login):
    login("lumajang-kasi", "salah-sandi")

    assert "Nama pengguna atau kata sandi salah" in page.content()
    assert page.url.endswith("/masuk/")


def test_home_is_readable_on_a_phone(page, live_server, demo_users, login, screenshot):
    page.set_viewport_size({"width": 390, "height": 844})
    login("solok-petugas")

    header = page.locator("header.topbar").bounding_box()
    assert header["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot("home-phone")
