"""The command line contracts: exit codes, --json output, the report's JSON shape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BAD = ROOT / "tests" / "data" / "bad"
SAMPLES = ROOT / "data" / "samples"


def _cli(*args: str, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analytics", *args, "--db", str(db)],
                          cwd=ROOT, capture_output=True, text=True, check=False, timeout=300)


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "cli.duckdb"


def test_ingest_exit_codes_and_json(db, tmp_path):
    ok = _cli("ingest", "--kind", "customer", str(SAMPLES / "customer.csv"), "--json", db=db)
    assert ok.returncode == 0, ok.stderr
    out = json.loads(ok.stdout)
    assert set(out) >= {"status", "batch_id", "rows_loaded", "rows_rejected", "errors"}
    assert (out["status"], out["rows_loaded"], out["rows_rejected"]) == ("loaded", 8, 0)
    again = _cli("ingest", "--kind", "customer", str(SAMPLES / "customer.csv"), "--json",
                 db=db)
    assert again.returncode == 0 and json.loads(again.stdout)["status"] == "unchanged"
    bad = _cli("ingest", "--kind", "customer", str(BAD / "score_out_of_scale.csv"), db=db)
    assert bad.returncode == 1
    assert "row 3, column 'csat', value '7': outside its scale" in bad.stderr
    unreadable = _cli("ingest", "--kind", "customer", str(BAD / "binary.csv"), db=db)
    assert unreadable.returncode == 2 and "not a CSV or XLSX" in unreadable.stderr
    missing = _cli("ingest", "--kind", "customer", str(tmp_path / "nope.csv"), db=db)
    assert missing.returncode == 2


def test_ingest_with_mapping_file_and_dry_run(db, tmp_path):
    src = tmp_path / "export.csv"
    src.write_text("Store;When;How satisfied overall\nS17;22/10/2026;4\nS17;23/10/2026;5\n",
                   encoding="cp1252")
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"columns": {"Store": "unit_id", "When": "response_date",
                                               "How satisfied overall": "csat"},
                                   "scales": {"csat": [1, 5]}, "date_format": "%d/%m/%Y"}))
    dry = _cli("ingest", "--kind", "customer", str(src), "--mapping", str(mapping),
               "--dry-run", "--json", db=db)
    assert dry.returncode == 0 and json.loads(dry.stdout)["status"] == "dry_run"
    assert json.loads(_cli("batches", "--json", db=db).stdout) == []
    real = _cli("ingest", "--kind", "customer", str(src), "--mapping", str(mapping),
                "--json", db=db)
    assert json.loads(real.stdout)["rows_loaded"] == 2
    batches = json.loads(_cli("batches", "--json", db=db).stdout)
    assert [b["status"] for b in batches] == ["loaded"]
    assert _cli("rollback", str(batches[0]["batch_id"]), db=db).returncode == 0
    assert _cli("rollback", str(batches[0]["batch_id"]), db=db).returncode == 2


def test_report_contract(demo_db_file, tmp_path):
    db = tmp_path / "r.duckdb"
    db.write_bytes(demo_db_file.read_bytes())
    run = _cli("report", "--format", "json", db=db)
    assert run.returncode == 0, run.stderr
    r = json.loads(run.stdout)
    assert r["period"] == "2026-10"
    assert set(r["company"]) == {"esat_index", "esat_pct_satisfied", "enps", "csat_pct",
                                 "csat_mean", "nps", "gross_margin_pct", "complaint_rate",
                                 "n_employee", "n_customer"}
    assert len(r["units"]) == 40 * 24
    unit = r["units"][-1]
    assert set(unit) >= {"unit_id", "period", "esat_index", "enps", "csat_pct", "nps",
                         "gross_margin_pct", "n_employee", "n_customer", "z", "imbalance",
                         "weakest_leg"}
    assert set(unit["z"]) == {"esat", "csat", "profit"}
    kinds = {a["kind"] for a in r["alerts"]}
    assert kinds <= {"imbalance", "divergence", "control"}
    for a in r["alerts"]:
        assert ("pattern" in a) == (a["kind"] == "divergence") and ("leg" in a) != ("pattern" in a)
        assert a["message"] and isinstance(a["values"], dict)
    assert {x["view"] for x in r["relationships"]} == {"cross_sectional", "within_unit"}
    assert set(r["chain"]) == {"esat_to_csat", "csat_to_profit"}
    link = r["chain"]["esat_to_csat"]
    # the contract's keys, extended (issue 14) by the uncorrected slope and its reliability
    assert set(link) == {"lag", "coef", "ci_low", "ci_high", "p", "n", "coef_raw",
                         "reliability"}
    assert link["coef"] == pytest.approx(link["coef_raw"] / link["reliability"])
    assert r["chain_refused"] == {}
    # the planted chain: ESAT leads CSAT by 2 months, CSAT leads margin by 1
    assert (r["chain"]["esat_to_csat"]["lag"], r["chain"]["csat_to_profit"]["lag"]) == (2, 1)
    # the planted out-of-balance units raise the right alerts
    found = {(a["kind"], a["unit_id"], a.get("leg") or a.get("pattern")) for a in r["alerts"]}
    assert {("imbalance", "U07", "csat"), ("imbalance", "U33", "esat"),
            ("divergence", "U19", "profit_up_esat_down")} <= found
    other = {a["unit_id"] for a in r["alerts"]} - {"U07", "U19", "U33"}
    assert len(other) <= 40 // 10, "alerts must stay rare on units with no planted problem"


def test_report_period_and_empty_database(db):
    assert _cli("report", "--format", "json", db=db).returncode == 2
    assert _cli("report", "--period", "2019-01", db=db).returncode == 2


def test_backup_and_restore_round_trip(demo_db_file, tmp_path):
    from analytics.store import connect, queries

    db = tmp_path / "live.duckdb"
    db.write_bytes(demo_db_file.read_bytes())
    assert _cli("backup", str(tmp_path / "bk"), db=db).returncode == 0
    assert _cli("backup", str(tmp_path / "bk"), db=db).returncode == 2  # never overwrite
    assert _cli("restore", str(tmp_path / "bk"), db=db).returncode == 2  # needs --force
    copy = tmp_path / "restored.duckdb"
    assert _cli("restore", str(tmp_path / "bk"), db=copy).returncode == 0, "restore"
    a, b = connect(db, read_only=True), connect(copy, read_only=True)
    try:
        assert queries.content_digest(a) == queries.content_digest(b)
        assert queries.units(b).unit_id.tolist() == queries.units(a).unit_id.tolist()
    finally:
        a.close()
        b.close()
    forced = _cli("restore", str(tmp_path / "bk"), "--force", db=db)
    assert forced.returncode == 0 and (tmp_path / "live.duckdb.bak").exists()
