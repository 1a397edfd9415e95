"""The main errands at office speed: clicks counted and held, the action within the first screen, phones without
sideways scrolling. Screenshots go to test-artifacts/ (1366x768 and 390x844)."""

import pytest

from cases import services, workflow
from cases.models import Case, Notification
from sop_catalog.models import SOP
from tests.browser.inplace import click_in_place
from tests.conftest import give_all_documents
from tests.factories import PersonFactory
from tests.files import BLANK_PDF
from tests.test_access_matrix import build_world, spec, url_names

OFFICE = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


class Clicks:
    """Every click of the errand goes through here, so that the test holds their number."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def __call__(self, locator):
        self.count += 1
        locator.click()
        self.page.wait_for_load_state()

    def in_place(self, locator):
        """A click whose form posts in place (htmx): counted, and waited for until the panel is swapped."""
        self.count += 1
        click_in_place(self.page, locator)


def in_first_screen(page, locator):
    """The locator is visible without scrolling: inside the viewport as the page opened (or at its anchor)."""
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and 0 <= box["y"] and box["y"] + box["height"] <= height


def unscrolled(page):
    """The page has not been scrolled, by the user or by Playwright bringing a field into view to fill it."""
    return page.evaluate("window.scrollY") == 0


def assert_reached_without_scrolling(page, locator, what):
    """Called right before the click, after every field of the screen was filled: had filling a field
    needed a scroll, Playwright would have scrolled and the page would no longer be at its top."""
    assert unscrolled(page), f"{what}: the page was scrolled ({page.evaluate('window.scrollY')} px)"
    assert in_first_screen(page, locator), f"{what}: below the first screen ({locator.bounding_box()})"


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def sign_in(page, base_url, username, password):
    """Sign in and wait for the login's answer: a lost login would leave every page the narrow /masuk/."""
    page.goto(f"{base_url}/masuk/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/masuk/" not in page.url, f"{username} was not signed in"


@pytest.fixture
def spm_catalog(catalog):
    return SOP.objects.get(slug="lumajang-spm", is_current=True)


def test_registering_an_spm_applicant_with_three_scans_up_to_the_kasi(
    page, live_server, spm_catalog, login, screenshot, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    scans = []
    for name in ("sktm", "kk", "ktp"):
        scans.append(tmp_path / f"{name}.pdf")
        scans[-1].write_bytes(BLANK_PDF)
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    login("lumajang-petugas")
    click = Clicks(page)

    page.goto(f"{live_server.url}/permohonan/baru/")
    click(page.get_by_role("link", name="Cari atau daftarkan pemohon"))
    page.fill("#q", "3508015507850003")
    click(page.get_by_role("button", name="Cari"))
    click(page.get_by_role("link", name="+ Daftarkan orang baru"))
    assert page.input_value("#id_nik") == "3508015507850003"  # the searched NIK is carried
    page.fill("#id_name", "Siti Aminah")
    page.locator("#id_nik").dispatch_event("input")
    page.wait_for_function("document.querySelector('#id_birth_date').value === '1985-07-15'")
    assert page.input_value("#id_sex") == "P" and page.input_value("#id_regency") == "Kabupaten Lumajang"
    page.fill("#id_address", "Jl. Mawar 3")
    screenshot("office-person-form-1366")
    save = page.get_by_role("button", name="Simpan")
    assert_reached_without_scrolling(page, save, "Simpan (orang)")
    click(save)

    assert unscrolled(page)
    page.select_option("#id_sop", str(spm_catalog.pk))
    page.fill("#id_purpose", "Keringanan biaya rawat inap di RSUD dr. Haryoto")
    assert not page.get_by_test_id("incoming-fold").evaluate("details => details.open")  # a walk-in case
    screenshot("office-case-new-1366")
    create = page.get_by_role("button", name="Buat permohonan")
    assert_reached_without_scrolling(page, create, "Buat permohonan")
    click(create)

    form = page.get_by_test_id("checklist-form")
    files = form.locator("input[type=file]")
    assert files.count() >= 3
    for index, scan in enumerate(scans):
        files.nth(index).set_input_files(str(scan))
    boxes = form.locator("input[type=checkbox]")
    for index in range(3, boxes.count()):
        boxes.nth(index).check()
    assert_reached_without_scrolling(page, page.get_by_test_id("save-and-register"), "Simpan berkas dan daftarkan")
    screenshot("office-checklist-1366")
    click(page.get_by_test_id("save-and-register"))
    number = page.get_by_test_id("case-number").inner_text()
    assert number.startswith("LMJ/")
    case = Case.objects.get(number=number)
    assert case.documents.exclude(file="").count() == 3

    steps = 0
    while Case.objects.get(pk=case.pk).state == Case.AT_PETUGAS:
        button = page.get_by_test_id("complete")
        radios = page.get_by_test_id("complete-form").locator("input[name=branch]")
        if radios.count():
            page.get_by_test_id("complete-form").get_by_label("Ya", exact=True).check()
        assert_reached_without_scrolling(page, button, f"step {steps + 1}")
        if steps == 0:
            screenshot("office-petugas-step-1366")
        click.in_place(button)
        steps += 1
    assert Case.objects.get(pk=case.pk).state == Case.AT_KASI
    # one confirmation, for registering; choosing "Ya" never asks the question of a rejecting branch
    assert len(asked) == 1 and asked[0].startswith("Simpan berkas lalu daftarkan"), asked
    # search, register, save person, open case, save-and-register, and one click per petugas step
    assert click.count == 6 + steps, click.count
    assert steps <= 5


def walk_to(case, demo_users, state):
    while Case.objects.get(pk=case.pk).state != state:
        case = Case.objects.get(pk=case.pk)
        step = case.current_step
        branch = "Ya" if step.sop_step.branches.exists() else ""
        workflow.complete_step(
            case=case,
            user=demo_users[f"lumajang-{step.desk}"],
            step_id=step.pk,
            branch=branch,
            disposition={"instructions": ["Untuk diproses"]},
        )
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def spm_case(spm_catalog, demo_users):
    petugas = demo_users["lumajang-petugas"]
    person = PersonFactory(name="Siti Aminah", nik="3508015507850003", sex="P", birth_place="Lumajang")
    case = services.open_case(
        user=petugas, sop=spm_catalog, applicant=person, beneficiary=person, channel="datang", purpose="Berobat"
    )
    give_all_documents(case, petugas)
    return services.register_case(case=case, user=petugas)


def test_a_kasi_returns_a_case_for_revision_and_the_petugas_sees_why(
    page, live_server, spm_case, demo_users, login, screenshot
):
    case = walk_to(spm_case, demo_users, Case.AT_KASI)
    login("lumajang-kasi")
    click = Clicks(page)

    page.goto(f"{live_server.url}/kotak-masuk/")
    click(page.get_by_role("link", name=case.number))
    summary = page.get_by_text("Kembalikan untuk revisi", exact=True)
    assert in_first_screen(page, summary)
    screenshot("office-kasi-case-1366")
    click(summary)
    page.fill("#revisi-text", "Foto KTP buram, minta pindai ulang")
    click(page.get_by_role("button", name="Kembalikan", exact=True))
    assert click.count == 3
    assert Case.objects.get(pk=case.pk).state == Case.AT_PETUGAS

    page.context.clear_cookies()
    login("lumajang-petugas")
    page.goto(f"{live_server.url}/kotak-masuk/")
    row = page.get_by_test_id("inbox-row").filter(has_text=case.number)
    assert "Foto KTP buram, minta pindai ulang" in row.get_by_test_id("arrival").inner_text()
    screenshot("office-petugas-inbox-returned-1366")
    notice = Notification.objects.get(user=demo_users["lumajang-petugas"], kind=Notification.RETURNED)
    assert "Foto KTP buram" in notice.message


def test_the_kadis_signs_on_a_phone(browser, live_server, spm_case, demo_users, demo_password, screenshot_dir):
    case = walk_to(spm_case, demo_users, Case.AT_KADIS)
    context = browser.new_context(viewport=PHONE, locale="id-ID", is_mobile=True, has_touch=True)
    page = context.new_page()
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    try:
        sign_in(page, live_server.url, "lumajang-kadis", demo_password)
        click = Clicks(page)

        page.goto(f"{live_server.url}/kotak-masuk/")
        assert no_sideways_scroll(page)
        page.screenshot(path=str(screenshot_dir / "phone-inbox-kadis-390.png"), full_page=True)
        click(page.get_by_role("link", name=case.number))
        assert no_sideways_scroll(page)
        preview = page.get_by_test_id("action-letter-draft")
        sign = page.get_by_test_id("complete")
        assert preview.bounding_box()["y"] < sign.bounding_box()["y"]
        page.screenshot(path=str(screenshot_dir / "phone-case-kadis-390.png"), full_page=False)
        click.in_place(sign)
        assert click.count == 2 and len(asked) == 1 and asked[0].startswith("Tandatangani")
        assert Case.objects.get(pk=case.pk).state == Case.APPROVED
    finally:
        context.close()


# GET routes that answer a file, not a page (PDF, certificate, CRL, spreadsheet, the scan) or JSON for a script.
NOT_PAGES = {
    "pdf": "the SOP as PDF",
    "version_pdf": "an SOP version as PDF",
    "case_document_file": "a scan",
    "case_receipt": "the tanda terima PDF",
    "case_missing": "the kekurangan berkas PDF",
    "disposition_pdf": "the lembar disposisi PDF",
    "case_rejection_letter": "the surat penolakan PDF",
    "letter_draft": "a draft letter PDF",
    "letter_pdf": "an issued letter PDF",
    "verify_ca": "the agency's CA certificate",
    "verify_crl": "the agency's CRL",
    "report_pdf": "the compliance report PDF",
    "export": "a CSV/XLSX export",
    "person_nik": "JSON for the person form's script",
}
# Who opens a page: the first of these that the access matrix lets see it (200).
VIEWERS = ["own:petugas", "own:kasi", "own:kabid", "own:kadis", "own:admin", "anon"]


def phone_pages(world, cases):
    """(identity, path) for every GET page of the URLconf, from the access matrix (tests/test_access_matrix.py,
    which fails when a named route is missing from it), plus the case page in each state as its desk and the
    pages each desk sees otherwise (the Kabid's report, the parked tab)."""
    table = spec(world)
    assert url_names() <= set(table)  # every named route is in the matrix
    gets = {name for name, (method, _, _) in table.items() if method == "get"}
    assert set(NOT_PAGES) <= gets  # the exclusions name real GET routes
    pages = []
    for name in sorted(gets - set(NOT_PAGES)):
        _, path, allowed = table[name]
        who = next(who for who in VIEWERS if allowed[who] == 200)
        pages.append((who, path, name))
    assert {name for _, _, name in pages} == gets - set(NOT_PAGES) and len(pages) >= 30
    for state, (who, case) in cases.items():
        pages.append((who, f"/permohonan/{case.pk}/", f"case-{state}"))
    pages += [
        ("own:kabid", "/laporan/mutu-baku/", "report-kabid"),
        ("own:kadis", "/", "home-kadis"),
        ("own:kasi", "/kotak-masuk/", "inbox-kasi"),
        ("own:petugas", "/kotak-masuk/?tab=pihak-luar", "inbox-parked"),
        ("own:petugas", "/orang/baru/?q=3508015507850003", "person-new-searched"),
    ]
    return pages


@pytest.fixture
def world(demo_users):
    return build_world(demo_users)


@pytest.fixture
def cases_in_each_state(world, demo_users):
    """A case in each state the matrix's world lacks, and the desk that holds it (who sees its actions)."""
    petugas = demo_users["lumajang-petugas"]
    spm = world["spm"]
    person = world["person"]

    def opened():
        return services.open_case(
            user=petugas, sop=spm, applicant=person, beneficiary=person, channel="datang", purpose="uji layar"
        )

    def registered():
        case = opened()
        give_all_documents(case, petugas)
        return services.register_case(case=case, user=petugas)

    waiting = registered()
    workflow.wait_external(
        case=waiting, user=petugas, step_id=waiting.current_step_id, waiting_for="Jawaban RSUD dr. Haryoto"
    )
    cancelled = registered()
    workflow.cancel(case=cancelled, user=petugas, reason="Pemohon mengurungkan permohonan")
    at_kadis = walk_to(registered(), demo_users, Case.AT_KADIS)
    completed = walk_to(registered(), demo_users, Case.COMPLETED)
    return {
        "draft": ("own:petugas", opened()),
        "at_petugas": ("own:petugas", world["draft_case"]),
        "approved": ("own:petugas", world["signed"]),  # its letters issued, the petugas holds the last steps
        "at_kasi": ("own:kasi", walk_to(registered(), demo_users, Case.AT_KASI)),
        "at_kabid": ("own:kabid", world["disposition"].case),
        "at_sekdin": ("own:sekdin", walk_to(registered(), demo_users, Case.AT_SEKDIN)),
        "at_kadis": ("own:kadis", at_kadis),
        "waiting_external": ("own:petugas", waiting),
        "returned": ("own:petugas", world["returned"]),
        "rejected": ("own:petugas", world["rejected"]),
        "cancelled": ("own:petugas", cancelled),
        "completed": ("own:petugas", completed),
    }


def test_no_page_scrolls_sideways_on_a_390_px_phone(
    browser, live_server, world, cases_in_each_state, demo_users, demo_password, screenshot_dir
):
    cases = cases_in_each_state
    assert {state: Case.objects.get(pk=case.pk).state for state, (_, case) in cases.items()} == {
        state: state for state, _ in Case.STATE_CHOICES
    }  # a case in each state, and each where its name says
    pages = phone_pages(world, cases)
    context = browser.new_context(viewport=PHONE, locale="id-ID", is_mobile=True)
    page = context.new_page()
    wide, wrong = [], []
    try:
        for who in dict.fromkeys(who for who, _, _ in pages):  # one login per identity, the page reused
            context.clear_cookies()
            if who != "anon":
                sign_in(page, live_server.url, f"lumajang-{who.split(':')[1]}", demo_password)
            for _, path, name in (row for row in pages if row[0] == who):
                url = live_server.url + path
                response = page.goto(url)
                if response is None or response.status != 200 or page.url != url:
                    wrong.append(f"{who} {path}: {response and response.status} at {page.url}")
                    continue
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > PHONE["width"]:
                    wide.append(f"{who} {path}: {width}px")
                whole = name in ("person_new", "person_edit", "case_new")  # the front desk's forms, looked at whole
                page.screenshot(
                    path=str(screenshot_dir / f"phone-{who.split(':')[-1]}-{name}-390.png"), full_page=whole
                )
    finally:
        context.close()
    assert wrong == []
    assert wide == []
