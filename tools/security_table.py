"""Regenerate the table of security tests and their counts in SECURITY.md.

    python tools/security_table.py          # table from the counts of the last run
    python tools/security_table.py --run    # run the suites first (several minutes)

With ``--run`` the robustness suite (tests/robustness), the bad-file corpus and the
confidentiality suite (tests/security) run under pytest with ``STOOL_COUNTS_FILE``
set, so the robustness tests write what they tried to tests/robustness/counts.json; the
confidentiality suite writes its own tests/security/counts/*.json. Every number in the
table comes from those files or from the test modules' own case lists, never by hand.
The table goes between the two marker lines of SECURITY.md.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECURITY = ROOT / "SECURITY.md"
ROBUSTNESS = ROOT / "tests" / "robustness"
COUNTS = ROBUSTNESS / "counts.json"
CONFIDENTIALITY = ROOT / "tests" / "security" / "counts"
START = "<!-- security-table:start (tools/security_table.py writes this part) -->"
END = "<!-- security-table:end -->"
SUITES = ["tests/robustness", "tests/store/test_ingest_bad_files.py", "tests/security"]


def _tests(path: Path, words: tuple[str, ...] = ()) -> int:
    """Test functions in a module (whose names contain one of ``words``, if given)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return sum(1 for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
               and n.name.startswith("test_") and (not words or any(w in n.name for w in words)))


def _list_len(path: Path, name: str) -> int:
    """The length of a module-level list or dict literal ``name`` (not imported)."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name
                                                for t in node.targets):
            value = node.value
            return len(value.elts if isinstance(value, ast.List | ast.Tuple) else value.keys)
    raise LookupError(f"{name} not found in {path}")


#: the tests of test_concurrency.py about a commit after another session's load
_RACES = ("same_units", "checked_before", "same_file")


def _xfails(folder: Path) -> int:
    """Open-bug reproducers: the cases of test_known_bugs.py and the other tests marked
    xfail (a parametrised one counts once)."""
    others = sum(p.read_text(encoding="utf-8").count("@pytest.mark.xfail(")
                 for p in folder.glob("test_*.py") if p.name != "test_known_bugs.py")
    return _list_len(folder / "test_known_bugs.py", "CASES") + others


def rows(c: dict, confidentiality: dict[str, dict]) -> list[tuple[str, str, str, str]]:
    """(area, what is tried, count, where) for each line of the table."""
    get = lambda k: c.get(k, "not run")  # noqa: E731
    outcomes = ", ".join(f"{k.removeprefix('fuzz_outcome_')} {v:,}" for k, v in sorted(c.items())
                         if k.startswith("fuzz_outcome_"))
    hypo = ", ".join(f"{k.removeprefix('hypothesis_outcome_')} {v:,}"
                     for k, v in sorted(c.items()) if k.startswith("hypothesis_outcome_"))
    store = ROOT / "tests" / "store"
    out = [
        ("Fuzzing: mutations", "seeded byte flips, truncation, inserted delimiters, quotes, "
         "newlines and NUL bytes, huge cells, other encodings, header shuffles, line edits of "
         f"{get('fuzz_source_files')} valid files; all read, staged and mapped, "
         f"{get('fuzz_mutations_full_load')} also validated and loaded; outcomes: {outcomes}",
         f"{get('fuzz_mutations')} mutations", "tests/robustness/test_fuzz_mutations.py"),
        ("Fuzzing: generated uploads", "hypothesis: tables of odd cells per dataset (4 "
         f"delimiters, 4 encodings) and raw bytes as .csv/.xlsx/.txt; outcomes: {hypo}",
         f"{get('hypothesis_tables')} tables + {get('hypothesis_bytes')} byte strings",
         "tests/robustness/test_fuzz_hypothesis.py"),
        ("Crash safety", "kill -9 of `python -m analytics ingest` (150,000 rows) after a "
         "seeded delay or at a seeded stage; then CHECKPOINT, every row read, batch and "
         "summary counts consistent, the batch whole or absent: "
         f"{get('kill9_whole_batch')} whole, {get('kill9_no_batch')} absent, "
         f"{get('kill9_inside_write_transaction')} killed inside the write transaction",
         f"{get('kill9_runs')} kills survived", "tests/robustness/test_kill9.py"),
        ("Concurrency", f"{get('concurrent_uploads')} uploads from two threads at once on "
         f"one connection; {get('browsing_sessions')} sessions reading while a 60,000-row "
         f"upload lands, {get('browsing_reads_during_upload')} reads each 'before' or "
         "'after', none half-loaded",
         f"{get('browsing_sessions')} concurrent sessions", "tests/robustness/test_concurrency.py"),
        ("Upload limits", "over the size limit (sparse files up to 5 TB, refused after "
         "reading at most 1 MB; the CLI too), XLSX zip bombs (ratio and total), 2,000,000 "
         "columns", f"{get('limit_cases')} cases", "tests/robustness/test_limits.py"),
        ("Bad files", "a corpus of broken files, each refused with row, column and reason, "
         "the database digest unchanged",
         f"{_list_len(store / 'test_ingest_bad_files.py', 'CASES')} files",
         "tests/store/test_ingest_bad_files.py"),
        ("Output safety", "formula cells neutralised in CSV/XLSX exports; uploaded names "
         "escaped in charts",
         f"{_tests(ROOT / 'tests/unit/test_exports.py') + _tests(ROOT / 'tests/app/test_downloads.py') + 1} tests",  # noqa: E501
         "tests/unit/test_exports.py, tests/app/test_downloads.py, tests/app/test_people.py"),
        ("Backup, restore, migration", "EXPORT DATABASE round trip; a previous schema "
         "version migrates without loss",
         f"{_tests(store / 'test_cli.py', ('backup', 'restore')) + _tests(store / 'test_migrations.py')} tests",  # noqa: E501
         "tests/store/test_cli.py, tests/store/test_migrations.py"),
        ("Fixed loader bugs", "the reproducers of the bugs the fuzzing found, kept as "
         "regression tests with the exact answer; check-then-load races (two sessions on "
         "the same unit-month, a load between check and commit, the same file meanwhile)",
         f"{_list_len(ROBUSTNESS / 'test_fixed_bugs.py', 'CASES')} files + "
         f"{_tests(ROBUSTNESS / 'test_concurrency.py', _RACES)} races",
         "tests/robustness/test_fixed_bugs.py, tests/robustness/test_concurrency.py"),
        ("Open loader bugs", "failing reproducers kept as strict xfails until fixed",
         f"{_xfails(ROBUSTNESS)} reproducers", "tests/robustness (KNOWN_BUGS in _loader.py)"),
    ]
    if confidentiality:
        for name, counts in sorted(confidentiality.items()):
            what = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in sorted(counts.items()))
            out.append((f"Confidentiality ({name.removeprefix('confidentiality_')})", what,
                        f"{sum(counts.values()):,} items checked", f"tests/security ({name}.json)"))
    else:
        out.append(("Confidentiality", "SLOT: tests/security has not written its counts "
                    "(tests/security/counts/*.json) yet", "not run", "tests/security"))
    return out


def table(c: dict, confidentiality: dict[str, dict]) -> str:
    lines = ["| area | what is tried | count | tests |", "|---|---|---|---|"]
    lines += [f"| {a} | {w} | {n} | {t} |" for a, w, n, t in rows(c, confidentiality)]
    return "\n".join(lines)


def write(text: str) -> None:
    doc = SECURITY.read_text(encoding="utf-8")
    head, start, rest = doc.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise SystemExit(f"SECURITY.md lacks the marker lines {START!r} and {END!r}")
    SECURITY.write_text(f"{head}{START}\n{text}\n{END}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--run", action="store_true", help="run the suites first")
    args = p.parse_args(argv)
    if args.run:
        COUNTS.unlink(missing_ok=True)
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               *SUITES], cwd=ROOT, check=False,
                              env={**os.environ, "STOOL_COUNTS_FILE": str(COUNTS)})
        if done.returncode != 0:
            print("the suites failed: table not written", file=sys.stderr)
            return done.returncode
    counts = json.loads(COUNTS.read_text()) if COUNTS.exists() else {}
    confidentiality = {p.stem: json.loads(p.read_text())
                       for p in sorted(CONFIDENTIALITY.glob("*.json"))}
    write(table(counts, confidentiality))
    print(f"SECURITY.md table written ({len(counts)} robustness counts, "
          f"{len(confidentiality)} confidentiality files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
