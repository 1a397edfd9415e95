import copy
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from agencies.models import Agency
from sop_catalog.models import SOP, Step
from sop_catalog.services import (
    SOPFormatError,
    copy_to_agency,
    create_new_version,
    export_sops,
    import_sops,
    publish_version,
)
from tests.conftest import sample_data

pytestmark = pytest.mark.django_db


def contoh_sops():
    """The SOPs of the made-up agency of tests/data/sample_sop.json (the session's catalog stays beside them)."""
    return SOP.objects.filter(agency__slug="contoh")


def test_export_import_export_gives_the_same_json(tmp_path):
    import_sops(sample_data())
    first = tmp_path / "first.json"
    call_command("export_sops", "--agency", "contoh", "--output", str(first))
    contoh_sops().delete()

    call_command("import_sops", str(first))
    second = tmp_path / "second.json"
    call_command("export_sops", "--agency", "contoh", "--output", str(second))

    assert first.read_text(encoding="utf-8") == second.read_text(encoding="utf-8")
    assert json.loads(first.read_text(encoding="utf-8")) == sample_data()


def test_importing_the_same_file_twice_changes_nothing():
    import_sops(sample_data())

    counts = import_sops(sample_data())

    assert counts == {"created": 0, "updated": 0, "new_version": 0, "unchanged": 1}
    assert contoh_sops().count() == 1


def test_an_unlocked_sop_is_updated_in_place():
    import_sops(sample_data())
    data = sample_data()
    data[0]["flows"][0]["steps"][0]["activity"] = "Petugas menyambut pemohon"

    counts = import_sops(data)

    assert counts["updated"] == 1
    sop = contoh_sops().get()
    assert sop.version == 1
    assert Step.objects.filter(flow__sop=sop, no=1).get().activity == "Petugas menyambut pemohon"


def test_a_locked_sop_gets_a_new_version_and_keeps_the_old_one():
    import_sops(sample_data())
    contoh_sops().update(locked=True)
    data = sample_data()
    data[0]["flows"][0]["steps"][0]["activity"] = "Petugas menyambut pemohon"

    counts = import_sops(data)

    assert counts["new_version"] == 1
    old, new = contoh_sops().order_by("version")
    assert (old.version, old.is_current, new.version, new.is_current) == (1, False, 2, True)
    assert Step.objects.get(flow__sop=old, no=1).activity == "Petugas menerima pemohon dan melakukan wawancara"
    assert Step.objects.get(flow__sop=new, no=1).activity == "Petugas menyambut pemohon"


def test_copy_as_new_version_copies_every_step_and_branch():
    import_sops(sample_data())
    sop = contoh_sops().get()

    new = create_new_version(sop)

    assert (new.version, new.status, new.is_current) == (2, SOP.DRAFT, False)
    assert Step.objects.filter(flow__sop=new).count() == 5
    assert Step.objects.get(flow__sop=new, no=2).branches.count() == 2
    assert export_sops(agency_slug="contoh")[0]["version"] == 1  # the version in force until published
    publish_version(new, revised="2026-12", effective="2026-12-02")
    exported = export_sops(agency_slug="contoh")[0]
    assert exported["version"] == 2
    assert exported["flows"] == sample_data()[0]["flows"]


def test_copy_to_another_agency_makes_a_draft_with_its_prefix(agencies):
    import_sops(sample_data())
    solok = Agency.objects.get(slug="solok")

    new = copy_to_agency(contoh_sops().get(), agency=solok)

    assert new.slug == "solok-spm"
    assert new.status == SOP.DRAFT
    assert new.agency == solok
    assert new.approved_by_name == ""
    assert Step.objects.filter(flow__sop=new).count() == 5


def _broken(mutate):
    data = copy.deepcopy(sample_data())
    mutate(data[0])
    return data


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda s: s["roles"][1].update(desk="lurah"), "roles[1].desk: meja 'lurah' tidak dikenal"),
        (lambda s: s["flows"][0]["steps"][0]["actors"].append("Camat"), "pelaksana 'Camat' tidak ada"),
        (lambda s: s["flows"][0]["steps"][0]["time"].update(max=20), "tidak sesuai teks '10 menit'"),
        (lambda s: s.update(created="Agustus 2017"), "kolom created: tanggal 'Agustus 2017' tidak sah"),
        (lambda s: s["flows"][0]["steps"][1].update(no=7), "nomor langkah harus 2"),
        (lambda s: s["flows"][0]["steps"][1]["branches"][0].update(action="step", step=9), "Langkah 9 tidak ada"),
        (lambda s: s["flows"][0]["steps"][1]["branches"][0].update(action="step"), "Isi nomor langkah tujuan"),
        (lambda s: s["flows"][0]["steps"][1]["branches"][0].update(step=3), "Nomor langkah hanya diisi"),
        (lambda s: s["flows"][0]["steps"][1]["branches"][0].update(action="layak"), "Tujuan 'layak' tidak dikenal"),
        (lambda s: s["flows"][0]["steps"][0].update(signs=True), "Hanya langkah di meja Kepala Dinas"),
        (lambda s: s["flows"][0]["steps"][2].update(signs=True), "hanya satu langkah per alur"),
        (
            lambda s: s["flows"][0]["steps"][2]["branches"].append({"label": "Tidak", "action": "applicant"}),
            "Kembali ke pemohon hanya dari langkah petugas",
        ),
        (lambda s: s["flows"][0]["steps"][2].update(activity=" "), "activity: wajib diisi"),
        (
            lambda s: s["flows"][0]["steps"][0].update(actors=s["flows"][0]["steps"][0]["actors"] * 2),
            "tercantum dua kali",
        ),
        (lambda s: s.update(status="aktif"), "status 'aktif' tidak dikenal"),
        (lambda s: s.pop("name"), "kolom name: wajib diisi"),
    ],
)
def test_import_names_the_sop_and_the_field_of_an_error(mutate, message):
    with pytest.raises(SOPFormatError) as error:
        import_sops(_broken(mutate))

    assert "SOP ke-1 (contoh-spm)" in str(error.value)
    assert message in str(error.value)


def test_a_bad_sop_in_a_file_writes_nothing_at_all():
    good = sample_data()[0]
    bad = copy.deepcopy(good)
    bad["slug"] = "contoh-lain"
    bad["number"] = "lain"
    bad["roles"][0]["desk"] = "lurah"

    before = SOP.objects.count()

    with pytest.raises(SOPFormatError):
        import_sops([good, bad])

    assert SOP.objects.count() == before
    assert not Agency.objects.filter(slug="contoh").exists()


def test_import_command_reports_a_malformed_file(tmp_path):
    path = tmp_path / "rusak.json"
    path.write_text("{ bukan json", encoding="utf-8")

    with pytest.raises(CommandError, match="bukan JSON yang sah"):
        call_command("import_sops", str(path))


def test_load_sops_prints_counts_and_is_idempotent(tmp_path, capsys):
    (tmp_path / "contoh-spm.json").write_text(json.dumps(sample_data()), encoding="utf-8")

    call_command("load_sops", "--dir", str(tmp_path))
    call_command("load_sops", "--dir", str(tmp_path))

    out = capsys.readouterr().out
    assert "baru 1" in out
    assert "tidak berubah 1" in out
    assert contoh_sops().count() == 1
