"""The command line: demo, ingest, report, batches, rollback, remove-demo, users.

    python -m analytics demo [--db PATH] [--if-empty] [--scale demo|large]
    python -m analytics ingest --kind KIND FILE [--db PATH] [--mapping MAPPING.json]
                               [--on-error reject|skip] [--dry-run] [--json]
    python -m analytics report --format json [--db PATH] [--period YYYY-MM]
    python -m analytics batches [--db PATH] [--json]
    python -m analytics rollback BATCH_ID [--db PATH]
    python -m analytics remove-demo [--db PATH]
    python -m analytics backup DIR [--db PATH]
    python -m analytics restore DIR [--db PATH] [--force]
    python -m analytics users add USER --role ROLE [--unit U ...] [--password-stdin]
                                  [--replace] [--users PATH]
    python -m analytics users remove USER [--users PATH]
    python -m analytics users list [--json] [--users PATH]

The command line runs as the local admin (analytics.access.auth.LOCAL): whoever can run it can
already open the database file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3
#: commands that write; the others take a read-only lease, shared with the app's reads
_WRITES = {"demo", "ingest", "rollback", "remove-demo"}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m analytics", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    def db(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--db", help="database file, or ducklake:postgres:<conninfo> with "
                                     "$STOOL_DATA_PATH (default: $STOOL_DB, then "
                                     "data/stool.duckdb)")

    d = sub.add_parser("demo", help="build the demo company's database")
    db(d)
    d.add_argument("--seed", type=int, default=7)
    d.add_argument("--if-empty", action="store_true",
                   help="only when the database holds no data yet")
    d.add_argument("--scale", choices=["demo", "large"], default="demo",
                   help="demo: 40 units, 24 months; large: 2,000 units, 60 months, "
                        "about 10M customer responses")
    i = sub.add_parser("ingest", help="validate and load one file")
    db(i)
    i.add_argument("--kind", required=True,
                   choices=["units", "employee", "customer", "financials"])
    i.add_argument("file")
    i.add_argument("--mapping", help="MAPPING.json: columns, constants, scales, date_format")
    i.add_argument("--on-error", choices=["reject", "skip"], default="reject")
    i.add_argument("--dry-run", action="store_true")
    i.add_argument("--json", action="store_true")
    i.add_argument("--user", default="cli", help="recorded as the uploader")
    r = sub.add_parser("report", help="print the KPIs, legs, alerts and chain")
    db(r)
    r.add_argument("--format", choices=["json"], default="json")
    r.add_argument("--period", help="YYYY-MM (default: the latest month with data)")
    b = sub.add_parser("batches", help="list upload batches")
    db(b)
    b.add_argument("--json", action="store_true")
    rb = sub.add_parser("rollback", help="undo one batch")
    db(rb)
    rb.add_argument("batch_id", type=int)
    rm = sub.add_parser("remove-demo", help="remove the demo data")
    db(rm)
    bk = sub.add_parser("backup", help="export the whole database into a new folder")
    db(bk)
    bk.add_argument("folder")
    rs = sub.add_parser("restore", help="rebuild the database from a backup folder")
    db(rs)
    rs.add_argument("folder")
    rs.add_argument("--force", action="store_true",
                    help="replace an existing database (kept as .bak)")
    au = sub.add_parser("audit-confidentiality",
                        help="audit the published employee figures as a whole (exit 1 "
                             "if any hidden small group can be recovered)")
    db(au)
    au.add_argument("--role", default="hr", choices=["executive", "manager", "hr", "admin"],
                    help="whose view to audit (a manager: the units given with --unit)")
    au.add_argument("--unit", action="append", default=[],
                    help="a unit the manager runs (repeat for several)")
    au.add_argument("--json", action="store_true")
    _users_parser(sub)
    return p


def _users_parser(sub) -> None:
    from analytics.access.auth import ROLES

    u = sub.add_parser("users", help="manage password sign-in users (STOOL_AUTH=password)")
    usub = u.add_subparsers(dest="users_command", required=True)

    def where(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--users", help="users file (default: $STOOL_USERS, then the "
                                        "config file, then data/users.json)")

    add = usub.add_parser("add", help="add a user (password from a prompt or stdin)")
    where(add)
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--unit", action="append", default=[],
                     help="a unit the manager runs (repeat for several)")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of stdin")
    add.add_argument("--replace", action="store_true", help="overwrite an existing user")
    rm = usub.add_parser("remove", help="remove a user")
    where(rm)
    rm.add_argument("name")
    ls = usub.add_parser("list", help="list users (never their hashes)")
    where(ls)
    ls.add_argument("--json", action="store_true")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "users":
        return _users(args)
    from analytics.store import StoreBusy
    from analytics.store.connection import StoreConfigError

    try:
        return _run(args)
    except StoreBusy as exc:  # another process held the file for the whole wait
        print(exc, file=sys.stderr)  # one line: who holds it, and what to do
        return EXIT_BUSY
    except StoreConfigError as exc:  # a malformed ducklake: target, no STOOL_DATA_PATH
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _run(args) -> int:
    """The command under one lease on the store (read-write only for the commands that
    write), then the warm-up a change asks for under a read lease, so the app's pages can
    read while it runs."""
    from analytics.store import connect, db_path, use

    if args.command == "restore":
        from analytics.store.backup import restore
        from analytics.store.connection import is_lake

        if is_lake(args.db):
            print("error: restore rebuilds a database file; a DuckLake is restored from "
                  "its PostgreSQL catalog and data folder (README: the team store)",
                  file=sys.stderr)
            return EXIT_USAGE

        if db_path(args.db).exists():  # nobody else may have the file open meanwhile
            with use(args.db, write=True):
                pass
        try:
            restored = restore(db_path(args.db), args.folder, force=args.force)
        except (FileExistsError, FileNotFoundError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        connect(restored).close()  # migrate a backup taken by an older version
        print(f"Restored {restored} from {args.folder}.")
        return EXIT_OK
    if args.command == "ingest" and not Path(args.file).is_file():
        print(f"error: no such file: {args.file}", file=sys.stderr)
        return EXIT_USAGE
    write = args.command in _WRITES and not getattr(args, "dry_run", False)
    args.warm_up = False
    with use(args.db, write=write) as con:
        code = _COMMANDS[args.command](con, args)
    if args.warm_up:
        with use(args.db) as con:
            _warm_up(con)
    return code


def _demo(con, args) -> int:
    from analytics.demo import company as demo
    from analytics.store import queries

    if args.if_empty and queries.has_data(con):
        print("The database already holds data; demo not loaded.")
        return EXIT_OK
    if args.scale == "large":
        from analytics.demo import large as builder
    else:
        builder = demo
    ids = builder.build(con, seed=args.seed,
                        progress=lambda f, t: print(f"[{f:4.0%}] {t}", file=sys.stderr))
    print(f"Demo company loaded as batches {ids}.")
    args.warm_up = True
    return EXIT_OK


def _warm_up(con) -> None:
    """Keep the pages' default results for the new data (analytics.read.warmup), reported on
    stderr; a failure is reported and never changes the command's outcome."""
    from analytics.read import warmup

    try:
        print(warmup.warm_up(con).line(), file=sys.stderr)
    except Exception as exc:  # noqa: BLE001 - the load is committed; pages compute instead
        warmup.log.warning("warm-up failed", exc_info=True)
        print(f"warm-up failed ({exc}); the pages will compute their results", file=sys.stderr)


def _ingest(con, args) -> int:
    from analytics.ingest.mapping import Mapping
    from analytics.ingest.pipeline import IngestError, ingest_file

    mapping = None
    if args.mapping:
        try:
            mapping = Mapping.from_json(Path(args.mapping).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"error: cannot use mapping {args.mapping}: {exc}", file=sys.stderr)
            return EXIT_USAGE
    from analytics.store import queries

    version = queries.data_version(con)
    try:
        result, _report = ingest_file(con, args.file, args.kind, mapping,
                                      on_error=args.on_error, dry_run=args.dry_run,
                                      uploaded_by=args.user)
    except IngestError as exc:
        if args.json:
            print(json.dumps({"status": "unreadable", "batch_id": None, "rows_loaded": 0,
                              "rows_rejected": 0, "errors": [{"reason": str(exc)}]}))
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for e in result.errors:
        print(f"row {e['row']}, column {e['column']!r}, value {e['value']!r}: {e['reason']}",
              file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict(), default=str))
    else:
        print(f"{result.status}: batch {result.batch_id}, {result.rows_loaded} rows loaded, "
              f"{result.rows_rejected} rejected")
    if queries.data_version(con) != version:  # committed: loaded or replaced
        args.warm_up = True
    return EXIT_REJECTED if result.status == "rejected" else EXIT_OK


def _report(con, args) -> int:
    from analytics.read.report import build_report

    try:
        report = build_report(con, period=args.period)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(json.dumps(report, allow_nan=False))
    return EXIT_OK


def _batches(con, args) -> int:
    from analytics.store import queries

    frame = queries.batches(con)
    if args.json:
        print(frame.to_json(orient="records", date_format="iso"))
    else:
        print(frame.drop(columns=["sha256"]).to_string(index=False) if len(frame)
              else "No batches yet.")
    return EXIT_OK


def _rollback(con, args) -> int:
    from analytics.store.load import rollback_batch

    if rollback_batch(con, args.batch_id, by="cli"):
        print(f"Batch {args.batch_id} rolled back.")
        args.warm_up = True
        return EXIT_OK
    print(f"error: batch {args.batch_id} is not a loaded batch", file=sys.stderr)
    return EXIT_USAGE


def _remove_demo(con, args) -> int:
    from analytics.demo import company as demo

    print(f"Removed {demo.remove(con)} demo batches.")
    args.warm_up = True
    return EXIT_OK


def _backup(con, args) -> int:
    from analytics.store.backup import export

    try:
        print(f"Backup written to {export(con, args.folder)}.")
    except FileExistsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def _users(args) -> int:
    from analytics.access import auth

    auth.require(auth.LOCAL, "manage_users")
    try:
        path = Path(args.users) if args.users else auth.load_config().users_file
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return _users_in(args, path)
    except (OSError, ValueError) as exc:  # an unreadable or malformed users file
        print(f"error: cannot use the users file {path}: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _users_in(args, path: Path) -> int:
    from analytics.access import users

    if args.users_command == "list":
        rows = users.listing(path)
        if args.json:
            print(json.dumps(rows))
        for r in rows if not args.json else []:
            print(f"{r['name']}\t{r['role']}\t{','.join(r['units']) or '-'}"
                  + ("\tlocked" if r["locked_until"] else ""))
        if not rows and not args.json:
            print(f"No users in {path}.")
        return EXIT_OK
    if args.users_command == "remove":
        if users.remove(path, args.name):
            print(f"User {args.name} removed.")
            return EXIT_OK
        print(f"error: no user {args.name!r} in {path}", file=sys.stderr)
        return EXIT_REJECTED
    password = _read_password(args.password_stdin)
    if password is None:
        return EXIT_USAGE
    try:
        user = users.add(path, args.name, password, args.role, tuple(args.unit),
                         replace=args.replace)
    except users.UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REJECTED
    print(f"User {user.name} saved as {user.role}"
          + (f" of {', '.join(user.units)}" if user.units else "") + f" in {path}.")
    return EXIT_OK


def _read_password(from_stdin: bool) -> str | None:
    """The new password: the first line of stdin, or typed twice at a hidden prompt."""
    import getpass

    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    try:
        first = getpass.getpass("Password: ")
        second = getpass.getpass("Password again: ")
    except (EOFError, KeyboardInterrupt):
        print("error: no password given", file=sys.stderr)
        return None
    if first != second:
        print("error: the passwords differ", file=sys.stderr)
        return None
    return first


def _audit_confidentiality(con, args) -> int:
    from analytics.access import tables
    from analytics.read import data, published

    if args.role == "manager" and not args.unit:
        print("error: a manager's audit needs the units they run (--unit U1 ...)",
              file=sys.stderr)
        return EXIT_USAGE
    units = tuple(args.unit) if args.role == "manager" else None
    found = published.build(con, data.settings(con), with_audit=True, units=units).audits
    total = tables.Audit()
    for a in found.values():
        total = total.add(a)

    def row(a: tables.Audit) -> dict:
        return {"published": a.published, "hidden": a.hidden, "small_groups": a.groups,
                "small_cells": a.cells, "recoverable": a.failed,
                "narrowest_points": None if a.narrowest == float("inf")
                else round(a.narrowest, 2)}

    if args.json:
        print(json.dumps({"role": args.role, "units": list(units or []), **row(total),
                          "families": {f: row(a) for f, a in found.items()}}))
    else:
        narrow = ("no small group to protect" if total.narrowest == float("inf") else
                  f"narrowest protection {total.narrowest:.1f} points")
        print(f"{args.role}{' (' + ', '.join(units) + ')' if units else ''}: "
              f"{total.published:,} published groups, {total.hidden:,} hidden; "
              f"{total.groups:,} small groups checked ({narrow}); {total.cells:,} small "
              f"department-months checked (none determined unless listed); "
              f"{len(total.failed):,} recoverable")
        for line in total.failed[:20]:
            print(f"  recoverable: {line}")
    return EXIT_REJECTED if total.failed else EXIT_OK


_COMMANDS = {"audit-confidentiality": _audit_confidentiality, "backup": _backup,
             "demo": _demo, "ingest": _ingest, "report": _report, "batches": _batches,
             "rollback": _rollback, "remove-demo": _remove_demo}

if __name__ == "__main__":
    sys.exit(main())
