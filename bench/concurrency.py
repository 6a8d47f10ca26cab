"""Twenty simultaneous sessions on the overview of the large demo: 20 ``AppTest``
instances, each in its own thread, started together, in one process that shares one
DuckDB connection (a cursor per query) and one ``st.cache_data`` store, as a server does;
against one session alone in the same run.

Why AppTest in threads and not Playwright pages against one server: on this machine
(2 shared cores) Chromium itself is the bottleneck. Tried first (2026-11-23): a single
warm browser tab took a median 6.2 s to show the overview whose script runs in under
1 s, and 20 tabs loading together did not even finish loading Streamlit's JavaScript
within 30 s (load average 22). That measures Chromium, not the app. AppTest runs the
very page script a server runs, in a script thread per session like the server, with the
same process-wide connection and caches, so it measures what sessions contend for here:
the two cores, DuckDB, the cache locks and the rendering of elements to protobufs. What
it leaves out is the websocket and the browser's drawing (per-client costs).

Cold = the first round after clearing every cache (20 sessions that all need the same
uncached reads at once); warm = later rounds of 20 new sessions with the caches full.
"""

from __future__ import annotations

import os
import statistics
import threading
import time

from bench.pages import large_db

SESSIONS = 20
ROUNDS = 3


def _share_script_cache() -> None:
    """One compiled script for every session, as a server has (``Runtime`` holds one
    ``ScriptCache``); AppTest makes one per instance, and 20 threads compiling at once hit
    CPython 3.11's ``SystemError: AST constructor recursion depth mismatch``."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    for module in (app_test, local_script_runner):
        if hasattr(module, "ScriptCache"):
            module.ScriptCache = lambda: shared


def _keep_runtime() -> None:
    """AppTest sets the process-global ``Runtime._instance`` to its mock for a run and to
    None after it, so a session finishing first pulled the runtime from under the others
    ("Runtime hasn't been created!"). A server has one Runtime for all sessions: here the
    last mock stays in place."""
    from streamlit.runtime.runtime import Runtime

    original = Runtime.instance.__func__
    last: list = []

    def instance(cls):  # noqa: ANN001, ANN202
        if cls._instance is not None:
            last[:] = [cls._instance]
            return cls._instance
        return last[0] if last else original(cls)

    Runtime.instance = classmethod(instance)


def _session(page: str, barrier: threading.Barrier, out: list, i: int) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(page, default_timeout=900)
    barrier.wait()
    start = time.perf_counter()
    try:
        at.run()
        error = str(at.exception[0].message)[:200] if at.exception else None
        if error is None and at.error:
            error = f"st.error: {at.error[0].value[:200]}"
    except Exception as exc:  # a timeout counts as an error of this session
        error = f"{type(exc).__name__}: {str(exc)[:200]}"
    out[i] = (time.perf_counter() - start, error)


def round_of(n: int, cold: bool) -> list[tuple[float, str | None]]:
    """``n`` new sessions opening the overview at the same moment: (seconds, error) each."""
    import streamlit as st

    from ui.navigation import PAGES_DIR

    if cold:
        st.cache_data.clear()
        st.cache_resource.clear()
    barrier = threading.Barrier(n)
    out: list = [None] * n
    threads = [threading.Thread(target=_session,
                                args=(str(PAGES_DIR / "overview.py"), barrier, out, i))
               for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def _p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def _peak_rss() -> float:
    from bench.server import proc_status

    return proc_status(os.getpid())["VmHWM"] / 1024 ** 2


def main() -> None:
    from streamlit.logger import set_log_level

    db = large_db()
    os.environ["STOOL_DB"] = str(db)
    set_log_level("error")  # "No runtime found" on every bare run
    _share_script_cache()
    _keep_runtime()
    print(f"concurrency: {db} ({db.stat().st_size / 1e6:,.0f} MB), {os.cpu_count()} cores; "
          f"{SESSIONS} AppTest sessions in threads, overview, {ROUNDS} rounds")
    round_of(1, cold=False)  # untimed: imports and the first script run of the process
    results: dict[str, list] = {}
    for label, n in (("one session alone", 1), (f"{SESSIONS} simultaneous", SESSIONS)):
        cold, warm = [], []
        for _ in range(ROUNDS):
            cold += round_of(n, cold=True)
            warm += round_of(n, cold=False)
        results[f"{label} (cold)"] = cold
        results[f"{label} (warm)"] = warm
    print(f"\n{'':32} {'runs':>5} {'median s':>9} {'p95 s':>7} {'max s':>7} {'errors':>6}"
          f"  median / alone")
    alone = {}
    for label, runs in results.items():
        phase = label[-5:-1]
        times = [t for t, e in runs if e is None]
        errors = [e for _t, e in runs if e is not None]
        med = statistics.median(times) if times else float("nan")
        alone.setdefault(phase, med)
        print(f"{label:32} {len(runs):5d} {med:9.2f} {_p95(times):7.2f} {max(times):7.2f} "
              f"{len(errors):6d}  {med / alone[phase]:.1f}x")
        for e in errors[:3]:
            print(f"    error: {e}")
    print(f"\npeak RSS of the process: {_peak_rss():,.0f} MB")
