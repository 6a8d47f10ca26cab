"""The dashboard as a real server for the memory and concurrency benchmarks:
``streamlit run app.py`` on a free port over a copy of the large database, and Debian's
Chromium through Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: URL path of each page (Streamlit's default: the file name), the overview at "/"
PAGE_PATHS = ["", "balance", "unit", "links", "people", "customers", "upload", "data"]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]
#: each page's st.title, so a wait cannot end on the previous page
TITLES = {"": "The stool at a glance", "balance": "Balance of the three legs",
          "unit": "Unit detail", "links": "Do the legs move together?",
          "people": "People: how employees feel", "customers": "Customers: what they tell us",
          "upload": "Upload a monthly file", "data": "Data and settings"}
#: the selectors Streamlit's own e2e tests wait on (connected, script idle, no skeleton),
#: and the page's own title drawn
_IDLE_JS = """(title) => {
  const app = document.querySelector('[data-testid=stApp]');
  const h1 = document.querySelector('[data-testid=stMain] h1');
  return app && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && app.getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelectorAll('[data-testid=stSkeleton]').length === 0
    && h1 !== null && h1.textContent.includes(title);
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise RuntimeError("chromium is not installed: `make browser` installs it with apt-get")
    return path


@contextmanager
def served_copy(db: Path, env: dict[str, str] | None = None) -> Iterator[tuple[str, int]]:
    """Serve a copy of ``db`` (the app opens it read-write); yield (url, server pid)."""
    with tempfile.TemporaryDirectory(prefix="stool-bench-") as tmp:
        copy = Path(tmp) / "stool.duckdb"
        shutil.copyfile(db, copy)
        port = _free_port()
        log = open(Path(tmp) / "streamlit.log", "w")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, env={**os.environ, **(env or {}), "STOOL_DB": str(copy)},
            stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 90
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                        if r.read().decode().strip() == "ok":
                            break
                except OSError:
                    if time.time() > deadline or proc.poll() is not None:
                        raise RuntimeError(f"streamlit did not start: "
                                           f"{(Path(tmp) / 'streamlit.log').read_text()[-2000:]}"
                                           ) from None
                    time.sleep(0.3)
            yield url, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak resident set) of a process, in bytes."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) * 1024
    return out


def wait_idle(page, path: str, timeout: float = 300_000) -> None:
    """Wait until page ``path`` shows its title, its script has finished and nothing loads."""
    page.wait_for_function(_IDLE_JS, arg=TITLES[path], timeout=timeout, polling=100)


def page_errors(page) -> int:
    """Exceptions and error boxes the page shows."""
    return (page.get_by_test_id("stException").count()
            + page.get_by_test_id("stAlertContentError").count())
