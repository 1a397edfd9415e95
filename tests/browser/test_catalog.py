def test_catalog_page_draws_the_flowchart(page, live_server, sample_sop, screenshot):
    page.goto(f"{live_server.url}/katalog/{sample_sop.slug}/")

    assert page.locator(".sop-number").inner_text() == "400.9/IV/1.03/2026"
    assert page.locator("svg[aria-label=terminator]").count() == 3
    assert page.locator("svg[aria-label=keputusan]").count() == 1
    assert page.locator("svg[aria-label=proses]").count() == 4
    screenshot("catalog-detail")


def test_catalog_search_finds_by_number(page, live_server, sample_sop):
    page.goto(f"{live_server.url}/katalog/")
    page.fill("#q", "400.9")
    page.click("button[type=submit]")

    assert page.get_by_role("link", name=sample_sop.name).is_visible()


def test_two_versions_compared(page, live_server, sample_sop, screenshot):
    from sop_catalog.models import Step  # noqa: PLC0415
    from sop_catalog.services import create_new_version, publish_version  # noqa: PLC0415

    draft = create_new_version(sample_sop)
    Step.objects.filter(flow__sop=draft, no=1).update(activity="Petugas menerima pemohon (versi 2)")
    draft.legal_bases.create(order=99, text="Peraturan Bupati tentang Layanan Uji")
    publish_version(draft, revised="2026-12", effective="2026-12-15")

    page.goto(f"{live_server.url}/katalog/{sample_sop.slug}/banding/?dari=1&ke=2")

    assert page.locator("li.diff-add", has_text="Peraturan Bupati tentang Layanan Uji").is_visible()
    assert page.locator("tbody.step-changed").count() == 1
    screenshot("catalog-compare")
