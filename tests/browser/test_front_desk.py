import io

from pypdf import PdfReader

from tests.factories import PersonFactory
from tests.files import BLANK_PDF

SCAN = BLANK_PDF


def test_a_petugas_registers_a_person_opens_a_case_and_prints_the_receipt(
    page, live_server, demo_users, spm, login, screenshot, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    scan = tmp_path / "sktm.pdf"
    scan.write_bytes(SCAN)
    page.on("dialog", lambda dialog: dialog.accept())
    login("lumajang-petugas")

    page.goto(f"{live_server.url}/permohonan/baru/")
    screenshot("case-new-empty")
    page.click("text=Cari atau daftarkan pemohon")
    page.click("text=+ Daftarkan orang baru")
    page.fill("#id_nik", "3508015507850003")
    page.fill("#id_name", "Siti Aminah")
    page.fill("#id_birth_place", "Lumajang")
    page.fill("#id_birth_date", "1985-07-15")
    page.select_option("#id_sex", "P")
    page.fill("#id_address", "Jl. Mawar 3")
    screenshot("person-form")
    page.click("button:has-text('Simpan')")

    page.fill("#sop-filter", "miskin")
    assert page.input_value("#id_sop") == str(spm.pk)
    page.fill("#id_purpose", "Keringanan biaya rawat inap di RSUD dr. Haryoto")
    page.fill("#id_destination", "RSUD dr. Haryoto Lumajang")
    screenshot("case-new-filled")
    page.click("button:has-text('Buat permohonan')")

    files = page.locator("[data-testid=checklist-form] input[type=file]")
    for index in range(files.count()):
        files.nth(index).set_input_files(str(scan))
    page.get_by_test_id("save-and-register").click()
    number = page.get_by_test_id("case-number").inner_text()
    screenshot("case-registered")

    assert number.startswith("LMJ/")
    with page.expect_download() as download:
        page.eval_on_selector("[data-testid=receipt]", "a => { a.setAttribute('download', ''); a.click(); }")
    content = download.value.path().read_bytes()
    text = " ".join(page_.extract_text() for page_ in PdfReader(io.BytesIO(content)).pages)
    assert number in text
    assert "3508015507850003" in text
    assert "Fotokopi KTP" in text


def test_the_public_status_page_from_the_qr_code(page, live_server, registered, screenshot):
    page.goto(f"{live_server.url}/status/{registered.number}/?kode={registered.survey_code}")

    assert page.get_by_test_id("status").inner_text() == "Di petugas pelayanan"
    screenshot("status-page")


def test_choosing_the_letter_channel_unfolds_the_incoming_letter_and_keeps_it_open(page, live_server, login, lumajang):
    applicant = PersonFactory(agency=lumajang)
    login("lumajang-petugas")
    page.goto(f"{live_server.url}/permohonan/baru/?pemohon={applicant.pk}")
    fold = page.get_by_test_id("incoming-fold")
    is_open = "details => details.open"

    assert not fold.evaluate(is_open) and not page.locator("#id_incoming_number").is_visible()
    page.select_option("#id_channel", "surat")
    assert fold.evaluate(is_open)
    page.fill("#id_incoming_number", "140/12/2026")
    page.select_option("#id_channel", "datang")
    assert fold.evaluate(is_open) and page.input_value("#id_incoming_number") == "140/12/2026"  # nothing hidden
