"""Upload limits: too large, zip bombs, millions of columns: refused early and clearly,
nothing written.

Two limits apply to an upload: Streamlit's ``server.maxUploadSize`` (the browser
refuses a bigger file before it is sent) and the loader's own ``max_bytes`` (what the
command line and the Upload page enforce). Big files are sparse (``truncate``), so these
tests cost no disk and no time.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import threading
import time
import tomllib
import zipfile

import pytest

from analytics.ingest import read
from analytics.ingest.pipeline import IngestError, ingest_file
from analytics.store import connect, queries
from tests.robustness._counts import record
from tests.robustness._loader import ROOT, human, seeded_db

MB = 2**20


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> pathlib.Path:
    path = tmp_path_factory.mktemp("limits") / "seeded.duckdb"
    seeded_db(path).close()
    return path


@pytest.fixture
def db(template, tmp_path, monkeypatch):
    path = tmp_path / "limits.duckdb"
    shutil.copyfile(template, path)
    monkeypatch.setenv("STOOL_DB", str(path))
    con = connect(path)
    yield con
    con.close()


class _Counting:
    """A file object that counts the bytes read through it."""

    total = 0

    def __init__(self, fh):
        self._fh = fh

    def read(self, n=-1):
        data = self._fh.read(n)
        _Counting.total += len(data)
        return data

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()

    def __getattr__(self, name):
        return getattr(self._fh, name)


def _refused(con, path, dataset="customer") -> str:
    """The IngestError message for ``path``; the database must be unchanged."""
    before = queries.content_digest(con)
    with pytest.raises(IngestError) as caught:
        ingest_file(con, path, dataset)
    assert queries.content_digest(con) == before
    message = str(caught.value)
    assert human(message), message
    return message


def _sparse(path: pathlib.Path, size: int) -> pathlib.Path:
    with path.open("wb") as fh:
        fh.write(b"unit_id,period,csat\nU01,2026-09,4\n")
        fh.truncate(size)
    return path


def test_streamlit_refuses_above_200_mb_and_the_loader_is_stricter():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == 200
    assert read.DEFAULT_MAX_BYTES == 128 * MB  # so 128-200 MB get the loader's message


@pytest.mark.parametrize("size", [128 * MB + 1, 199 * MB, 5 * 2**40])
def test_a_file_over_the_limit_is_refused_before_it_is_read(db, tmp_path, monkeypatch,
                                                            size):
    path = _sparse(tmp_path / "huge.csv", size)
    real_open = pathlib.Path.open
    _Counting.total = 0
    monkeypatch.setattr(pathlib.Path, "open",
                        lambda self, *a, **k: _Counting(real_open(self, *a, **k)))
    message = _refused(db, path)
    monkeypatch.undo()
    assert f"The file is {size / MB:.1f} MB; at most 128 MB is accepted" in message
    assert _Counting.total <= MB  # one sniffing sample at most, never the whole file
    record("limit_cases", 1)


@pytest.mark.parametrize("size", [128 * MB + 1, 5 * 2**40])
def test_a_refused_file_is_not_hashed_on_in_the_background(db, tmp_path, size):
    # the file is hashed in a thread while it is read; a refusal must stop that thread:
    # a 5 TB sparse file kept one core busy for an hour and held the interpreter's exit
    # (concurrent.futures joins its threads), which timed out a CI run
    before = set(threading.enumerate())
    _refused(db, _sparse(tmp_path / "huge.csv", size))
    deadline = time.monotonic() + 10
    while (left := [t for t in threading.enumerate() if t not in before and t.is_alive()]):
        assert time.monotonic() < deadline, f"still running after the refusal: {left}"
        time.sleep(0.05)


def test_the_command_line_refuses_a_file_over_the_limit(tmp_path):
    path = _sparse(tmp_path / "huge.csv", 150 * MB)
    db = tmp_path / "cli.duckdb"
    done = subprocess.run([sys.executable, "-m", "analytics", "ingest", "--kind", "customer",
                           str(path), "--db", str(db)], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "STOOL_DB": str(db)}, check=False)
    assert done.returncode == 2
    assert "error: The file is 150.0 MB; at most 128 MB is accepted" in done.stderr
    assert "Traceback" not in done.stderr
    record("limit_cases", 1)


def _workbook(path: pathlib.Path, parts: dict[str, bytes], level: int = 9) -> pathlib.Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def test_an_xlsx_zip_bomb_is_refused_unopened(db, tmp_path, monkeypatch):
    # 64 MB of zeros in 64 kB: a ratio over 1,000, what a crafted workbook has
    bomb = _workbook(tmp_path / "bomb.xlsx", {"xl/worksheets/sheet1.xml": b"\0" * (64 * MB)})
    assert bomb.stat().st_size < 100_000

    def never(*args, **kwargs):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr("analytics.ingest._xlsx.write_csv", never)
    message = _refused(db, bomb, "employee")
    assert message.startswith("The workbook would expand to 64 MB when opened")
    assert "built to exhaust memory" in message
    record("limit_cases", 1)


def test_an_xlsx_declaring_more_than_1_gb_is_refused_unopened(db, tmp_path, monkeypatch):
    # 18 sheets of 60 MB (fast deflate: a ratio of about 250, under the ratio rule), but
    # the whole would expand to 1,080 MB, over the 1,024 MB limit
    sheet = b"\0" * (60 * MB)
    bomb = _workbook(tmp_path / "many.xlsx",
                     {f"xl/worksheets/sheet{i}.xml": sheet for i in range(1, 19)}, level=1)
    monkeypatch.setattr("analytics.ingest._xlsx.write_csv", lambda *a, **k: 1 / 0)
    message = _refused(db, bomb, "employee")
    assert message.startswith("The workbook would expand to 1,080 MB when opened")
    record("limit_cases", 1)


def test_two_million_columns_are_refused(db, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(2_000_000)) + "\n"
                    + ",".join("1" * 2_000_000) + "\n")
    message = _refused(db, path)
    assert message.startswith("The file has 2000000 columns; at most 2000 are accepted")
    record("limit_cases", 1)


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_a_wide_file_with_another_delimiter_is_refused_as_too_wide(db, tmp_path, delimiter):
    path = tmp_path / "wide.csv"
    path.write_text(delimiter.join(f"c{i}" for i in range(100_000)) + "\n"
                    + delimiter.join("1" * 100_000) + "\n")
    message = _refused(db, path)
    assert message.startswith("The file has 100000 columns; at most 2000 are accepted")
