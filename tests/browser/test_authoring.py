"""An admin authors a six-step SOP with one decision in at most three screens, and publishes it."""

from sop_catalog.models import SOP, Step

STEPS = [
    ("Petugas menerima berkas permohonan", "Petugas", "10 menit"),
    ("Petugas memeriksa kelengkapan berkas", "Petugas", "15 menit"),
    ("Kasi memverifikasi data pemohon", "Kasi", "1 hari"),
    ("Kasi menyiapkan konsep surat rekomendasi", "Kasi", "30 menit"),
    ("Kepala Dinas menandatangani surat rekomendasi", "Kadis", "1 hari"),
    ("Petugas menyerahkan surat kepada pemohon", "Petugas", "10 menit"),
]


def test_a_six_step_sop_with_a_decision_takes_three_screens(page, live_server, login, screenshot, lumajang):
    login("lumajang-admin")
    screens = []
    page.on("framenavigated", lambda frame: frame == page.main_frame and screens.append(frame.url))

    # Screen 1: the SOP, its pelaksana columns (a flow is made for it).
    page.goto(f"{live_server.url}/admin/sop_catalog/sop/add/")
    page.select_option("#id_agency", str(lumajang.pk))
    page.fill("#id_name", "Rekomendasi Uji Penyusunan")
    page.fill("#id_number", "400.9/UJI/2026")
    page.fill("#id_approved_by_name", "Dra. DEWI SUSIYANTI")
    page.fill("#id_approved_by_title", "Kepala Dinas Sosial")
    roles = page.locator("#roles-group")
    for index, (label, desk) in enumerate([("Petugas", "petugas"), ("Kasi", "kasi"), ("Kadis", "kadis")]):
        roles.locator(".add-row a").click()
        page.fill(f"#id_roles-{index}-order", str(index + 1))
        page.fill(f"#id_roles-{index}-label", label)
        page.select_option(f"#id_roles-{index}-desk", desk)
    page.click("input[name=_save]")
    page.wait_for_load_state()
    assert "/susun/" in page.url

    # Screen 2: the six steps in one table; step 4 is inserted last, before the signing step.
    rows = page.locator("tr.step-row")
    order = [0, 1, 2, 4, 5]
    for row_index, step_index in enumerate(order):
        activity, actor, time = STEPS[step_index]
        row = rows.nth(row_index)
        row.locator("textarea.activity").fill(activity)
        row.locator("td.actors label", has_text=actor).locator("input").check()
        row.locator("input.time").fill(time)
    rows.nth(1).locator("input.b-label").nth(0).fill("Ya")
    rows.nth(1).locator("input.b-label").nth(1).fill("Tidak")
    rows.nth(1).locator("select.b-target").nth(1).select_option("applicant")
    rows.nth(3).locator("label.signs input").check()
    rows.nth(3).locator("button.insert").click()  # a new row above the Kadis's: it becomes step 4
    activity, actor, time = STEPS[3]
    inserted = rows.nth(3)
    inserted.locator("textarea.activity").fill(activity)
    inserted.locator("td.actors label", has_text=actor).locator("input").check()
    inserted.locator("input.time").fill(time)
    assert [rows.nth(i).locator(".no").inner_text() for i in range(6)] == ["1", "2", "3", "4", "5", "6"]
    page.wait_for_selector("#flow-preview :text('Kasi menyiapkan konsep surat rekomendasi')")  # the live preview
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1366, f"the editor is {width} px wide"
    screenshot("authoring-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the editor is {width} px wide on a 390 px phone"
    screenshot("authoring-390")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.click("button[value=publish]")
    page.wait_for_load_state()

    # Screen 3: Terbitkan.
    assert "/terbitkan/" in page.url
    screenshot("authoring-publish")
    page.click("input[type=submit][value^=Terbitkan]")
    page.wait_for_load_state()

    sop = SOP.objects.get(name="Rekomendasi Uji Penyusunan")
    assert (sop.status, sop.is_current) == (SOP.ACTIVE, True)
    assert list(Step.objects.filter(flow__sop=sop).order_by("no").values_list("activity", flat=True)) == [
        activity for activity, _, _ in STEPS
    ]
    decision = Step.objects.get(flow__sop=sop, no=2)
    assert {(b.label, b.action) for b in decision.branches.all()} == {("Ya", "next"), ("Tidak", "applicant")}
    assert Step.objects.get(flow__sop=sop, no=5).signs
    authoring = [url for url in screens if "/admin/" in url and "/masuk/" not in url][:-1]  # the last: the result
    assert len({url.split("?")[0] for url in authoring}) <= 3, authoring
