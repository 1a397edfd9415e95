"""PDF stylesheets are parsed once per file version, and the font configuration is made once per
thread (sop_catalog.printing.stylesheet, font_config)."""

import os
import threading

from sop_catalog.printing import font_config, stylesheet


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


def test_the_font_configuration_is_kept_per_thread():
    mine = font_config()
    other = []
    thread = threading.Thread(target=lambda: other.append(font_config()))
    thread.start()
    thread.join()

    assert font_config() is mine
    assert other and other[0] is not mine
