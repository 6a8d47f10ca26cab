"""Minimal reproducers of the loader bugs the fuzzing found (see _loader.KNOWN_BUGS).

Each is expected to fail until its bug is fixed (strict: a fix makes it pass, and the
xfail mark and the KNOWN_BUGS entry must then go).
"""

from __future__ import annotations

import pytest

from analytics.store import queries
from tests.robustness._loader import KNOWN_BUGS, ROOT, attempt


def _unknown_zip_version() -> bytes:
    """A real workbook whose first central directory entry needs zip version 20.9."""
    data = bytearray((ROOT / "tests" / "data" / "formats" / "employee.xlsx").read_bytes())
    entry = data.index(b"PK\x01\x02")
    data[entry + 6:entry + 8] = (209).to_bytes(2, "little")  # "version needed to extract"
    return bytes(data)


ROWS = "".join(f"U01,2026-09-{d:02d},{1 + d % 5},{['Excellent', 'Good', 'Poor'][d % 3]}\n"
               for d in range(1, 11))
CASES = {
    "huge_multibyte_line": ("units", ("unit_id,unit_name\nU01,a\nU02,x" + "é" * 1_100_000
                                      + "\nU03,b\n").encode()),
    "non_ascii_item_name": ("customer", ("unit_id,response_date,csat,Qualité\n"
                                         + ROWS).encode()),
    "damaged_zip_version": ("employee", _unknown_zip_version()),
    "technical_message_lf_cr": ("units", b"unit_id,unit_name\nU01,Leeds\n\rU02,York\n"),
    "technical_message_nul_header": (
        "units", "unit_id,unit_name,re\x00gion\nU01,Leeds,North\n".encode("utf-16")),
}


def test_every_known_bug_has_a_reproducer():
    assert {k.removesuffix("_lf_cr").removesuffix("_nul_header") for k in CASES} == \
        set(KNOWN_BUGS)


@pytest.mark.xfail(strict=True, reason="bugs in analytics/: see KNOWN_BUGS in _loader.py")
@pytest.mark.parametrize("name", sorted(CASES))
def test_known_bug(tiny_duck, tmp_path, name, monkeypatch):
    monkeypatch.setattr("tests.robustness._loader.KNOWN_BUGS", {})  # no excuses here
    dataset, data = CASES[name]
    path = tmp_path / ("case.xlsx" if data.startswith(b"PK") else "case.csv")
    path.write_bytes(data)
    before = queries.content_digest(tiny_duck)
    status = attempt(tiny_duck, path, dataset)
    assert status in ("error", "rejected", "loaded")
    if status != "loaded":
        assert queries.content_digest(tiny_duck) == before
