"""How fast `xchange import` is: 100k rows of one CSV, end to end, into a fresh SQLite file.

    uv run python benchmarks/import.py                      # 100k rows, baseline on 2,000
    uv run python benchmarks/import.py --rows 20000 --runs 1

End to end means what the command does after reading the file from disk: decoding and parsing
the CSV, validating every row with the register's rules (also across rows and against the
database), resolving organisations and people, and writing exchanges, organisations, people,
one audit event per row and the KPI summaries in one transaction, committed. The acceptance
criterion: at least 50,000 rows a second on SQLite. Each phase is timed too, and a re-import of
the same file (every row found unchanged).

Beside it, for scale: the rows that import wrote (exchanges, organisations, people, audit
events, the KPI summaries), copied into a fresh file with the same schema by plain `sqlite3`
`executemany` (multi-row statements, indexes built afterwards, one commit): no parsing,
validating or planning at all. The import stages its large tables through Arrow instead
(`bulk.insert_columns`), since binding values one by one through `sqlite3` costs more than
SQLite's own work.

And the baseline: the same file imported the row-by-row ORM way, each row through
`service.create_exchange` (validation, organisation and person look-ups, insert and audit per
row) in one transaction. It is measured on the first `--baseline` rows only (longer would be a
wait for nothing) and extrapolated linearly, labelled as such.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import select

from xchange import reference
from xchange.db import engine as db
from xchange.demo import load as demo
from xchange.imports import guarded
from xchange.imports.importer import ImportReport, read_file, read_untrusted, run_import
from xchange.models import User
from xchange.register.service import ExchangeIn, create_exchange

TODAY = date(2026, 5, 20)  # fixed, so that every run times the same data
SEED = demo.DEFAULT_SEED
CRITERION = 50_000  # rows a second, end to end, on SQLite
FLOOR_GOAL = 1.3  # the import, guarded read included, at most this times plain sqlite3's write
AGAIN_GOAL = 0.5  # a re-import that writes nothing, at most this part of the import


def fresh_engine(folder: Path, name: str) -> Engine:
    """A migrated SQLite file holding the demo partnerships (and no exchanges)."""
    engine = db.make_engine(f"sqlite:///{folder / name}")
    db.upgrade(engine)
    demo.load_demo(engine, exchanges=0, seed=SEED, today=TODAY)
    return engine


def admin(engine: Engine) -> User:
    with db.read_session(engine) as session:
        return session.exec(select(User).where(User.email == db.LOCAL_ADMIN_EMAIL)).one()


def import_file(engine: Engine, data: bytes) -> tuple[float, float, ImportReport]:
    """(seconds to read, seconds in all, report) for one import of `data`, as a new file's
    first import: the cache of organisation name keys is emptied first."""
    actor = admin(engine)
    reference.name_key.cache_clear()
    began = time.perf_counter()
    source = read_untrusted(data, "exchanges.csv", max_bytes=len(data))  # as the page reads
    read = time.perf_counter() - began
    # As the command and the page open it (see run_import).
    with db.write_session(engine, check_foreign_keys=False) as session:
        report = run_import(session=session, actor=actor, source=source, today=TODAY)
    return read, time.perf_counter() - began, report


def _read_inline(data: bytes) -> float:
    """Seconds to read `data` in this process (what the guarded read adds its process to)."""
    began = time.perf_counter()
    read_file(data, "exchanges.csv", max_bytes=len(data))
    return time.perf_counter() - began


def orm_baseline(engine: Engine, data: bytes, rows: int) -> float:
    """Seconds to import the first `rows` rows of the same file one by one through the service."""
    import csv
    import io

    actor = admin(engine)
    records = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))[:rows]
    began = time.perf_counter()
    with db.write_session(engine) as session:
        for record in records:
            values: dict[str, Any] = {k: (v if v != "" else None) for k, v in record.items()}
            create_exchange(session=session, actor=actor, data=ExchangeIn(**values), today=TODAY)
    return time.perf_counter() - began


def write_floor(imported: Path, folder: Path) -> float:
    """Seconds for plain sqlite3 to write the rows of `imported` into an empty copy of its schema."""
    import sqlite3

    source = sqlite3.connect(imported)
    schema = source.execute(
        "SELECT type, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    tables = ("organisation", "person", "exchange", "audit_event", "kpi_daily", "kpi_flow")
    rows = {t: source.execute(f"SELECT * FROM {t}").fetchall() for t in tables}  # noqa: S608
    source.close()
    target = sqlite3.connect(folder / "floor.db", isolation_level=None)
    target.execute(f"PRAGMA page_size={db.SQLITE_PAGE_SIZE}")  # as ours
    target.execute("PRAGMA journal_mode=WAL")
    target.execute("PRAGMA synchronous=NORMAL")
    target.execute("PRAGMA cache_size=-2097152")
    for kind, sql in schema:
        if kind == "table":
            target.execute(sql)
    began = time.perf_counter()
    target.execute("BEGIN IMMEDIATE")
    for table in tables:
        if not rows[table]:
            continue
        width = len(rows[table][0])
        per = 16_384 // width
        one = "(" + ", ".join(["?"] * width) + ")"
        full = len(rows[table]) // per * per
        many = f"INSERT INTO {table} VALUES " + ", ".join([one] * per)  # noqa: S608
        target.executemany(
            many,
            ([v for row in rows[table][i : i + per] for v in row] for i in range(0, full, per)),
        )
        target.executemany(f"INSERT INTO {table} VALUES {one}", rows[table][full:])  # noqa: S608
    for kind, sql in schema:
        if kind in ("index", "trigger"):
            target.execute(sql)
    target.execute("COMMIT")
    seconds = time.perf_counter() - began
    target.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the file")
    parser.add_argument("--runs", type=int, default=3, help="fresh databases to time (median)")
    parser.add_argument("--baseline", type=int, default=2_000, help="rows for the ORM baseline")
    args = parser.parse_args()

    frame = demo.demo_frame(args.rows, seed=SEED, today=TODAY)
    data = frame.to_csv(index=False).encode("utf-8")
    print(
        f"SQLite, fresh temporary file per run; {args.rows:,} rows, {len(data) / 1e6:.1f} MB CSV; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    guarded.start()  # as a running server has it: the first file does not wait for it
    with tempfile.TemporaryDirectory(prefix="xchange-import-bench-") as folder:
        totals, phases = [], []
        for run in range(args.runs):
            engine = fresh_engine(Path(folder), f"import-{run}.db")
            try:
                read, total, report = import_file(engine, data)
                assert report.rows_created == args.rows and not report.errors, report.summary()
                totals.append(total)
                phases.append({"read": read, **report.seconds})
                if run == 0:
                    floor = write_floor(Path(folder) / f"import-{run}.db", Path(folder))
                    _read, again, second = import_file(engine, data)
                    assert second.rows_unchanged == args.rows, second.summary()
            finally:
                engine.dispose()
        inline = statistics.median(_read_inline(data) for _ in range(3))
        total = statistics.median(totals)
        middle = phases[totals.index(total)]
        print(f"{'':<28}{'seconds':>9}  {'rows/s':>9}")
        print(
            f"{'import, end to end':<28}{total:>9.2f}  {args.rows / total:>9,.0f}  (median of {args.runs})"
        )
        for name in ("read", "context", "validate", "plan", "write"):
            print(f"{'  ' + name:<28}{middle.get(name, 0.0):>9.2f}")
        print(
            f"{'    of which guarding':<28}{middle['read'] - inline:>9.2f}"
            f"  (the guarded read less the same read in this process, {inline:.2f})"
        )
        print(f"{'re-import, all unchanged':<28}{again:>9.2f}  {args.rows / again:>9,.0f}")
        for name in ("context", "validate", "plan", "write"):  # where a re-import spends it
            print(f"{'  ' + name:<28}{second.seconds.get(name, 0.0):>9.2f}")
        print(
            f"{'sqlite3 executemany, no checks':<28}{floor:>9.2f}  {args.rows / floor:>9,.0f}"
            "  (writing the same rows, nothing else)"
        )
        ratio, again_ratio = total / floor, again / total
        print(
            f"import / sqlite3 write {ratio:.2f} (goal at most {FLOOR_GOAL}: "
            f"{'met' if ratio <= FLOOR_GOAL else 'MISSED'}); re-import / import {again_ratio:.2f} "
            f"(goal at most {AGAIN_GOAL}: {'met' if again_ratio <= AGAIN_GOAL else 'MISSED'})"
        )
        engine = fresh_engine(Path(folder), "orm.db")
        try:
            size = min(args.baseline, args.rows)
            seconds = orm_baseline(engine, data, size)
        finally:
            engine.dispose()
        per_row = seconds / size
        print(
            f"{'ORM row by row (baseline)':<28}{per_row * args.rows:>9.1f}  {1 / per_row:>9,.0f}"
            f"  (measured on {size:,} rows, extrapolated)"
        )
        verdict = "meets" if args.rows / total >= CRITERION else "MISSES"
        speedup = per_row * args.rows / total
        print(
            f"{verdict} the {CRITERION:,} rows/s criterion on SQLite; {speedup:,.0f} times the baseline"
        )


if __name__ == "__main__":
    main()
