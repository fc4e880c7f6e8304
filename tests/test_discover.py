"""Landing discovery: which files are read again to hash them."""

from __future__ import annotations

import hashlib
import time

from tasks import discover as discover_module
from tasks.discover import discover


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_file_whose_stat_is_unchanged_keeps_its_hash_and_an_edited_one_is_hashed(tmp_path, monkeypatch):
    report = tmp_path / "monthly_report" / "a.csv"
    report.parent.mkdir()
    report.write_text("tax_code,period\n0100109106,2023-01\n")
    monkeypatch.setattr(discover_module, "RACY_SECONDS", 0.0)
    first = discover(tmp_path)[0]
    assert first.sha256 == _sha(report) and first.stat and first.size == report.stat().st_size
    hashed = {first.rel_path: (first.stat, "as registered")}
    assert discover(tmp_path, hashed)[0].sha256 == "as registered"        # not read again
    time.sleep(0.05)
    report.write_text("tax_code,period\n0100109106,2023-02\n")            # same size, new content
    assert discover(tmp_path, hashed)[0].sha256 == _sha(report)


def test_a_file_changed_moments_ago_is_always_hashed(tmp_path, monkeypatch):
    monkeypatch.setattr(discover_module, "RACY_SECONDS", 60.0)      # "moments" that a busy CI worker cannot outlast
    report = tmp_path / "monthly_report" / "a.csv"
    report.parent.mkdir()
    report.write_text("tax_code,period\n0100109106,2023-01\n")
    first = discover(tmp_path)[0]
    assert first.stat == ""                        # within RACY_SECONDS: a second write could keep its times
    assert discover(tmp_path, {first.rel_path: ("", "as registered")})[0].sha256 == _sha(report)
