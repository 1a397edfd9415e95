"""PDF stylesheets are parsed once per file version (sop_catalog.printing.stylesheet)."""

import os

from sop_catalog.printing import stylesheet


def test_a_stylesheet_is_parsed_once_and_again_when_its_file_changes(tmp_path):
    path = tmp_path / "surat.css"
    path.write_text("p { color: black }")
    first = stylesheet(path)
    assert stylesheet(path) is first
    path.write_text("p { color: red }")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a later mtime, whatever the clock
    changed = stylesheet(path)
    assert changed is not first
    assert stylesheet(path) is changed
