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
