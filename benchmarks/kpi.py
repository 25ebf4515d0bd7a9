# ruff: noqa: S608  (the SQL below is constant text, written by hand on purpose)
"""KPI speed at 10k, 100k and 1M exchanges: ours beside hand-written SQL and the naive way.

    uv run python benchmarks/kpi.py                          # SQLite: 10k, 100k, 1M
    uv run python benchmarks/kpi.py --sizes 10000,100000     # other sizes
    uv run python benchmarks/kpi.py --postgres postgresql://postgres@127.0.0.1:5432/bench

Each register is built by `xchange demo` (the same generator as the fixtures) into a fresh
database. Then, in one run and side by side, for the dashboard's unfiltered set (headline, by
partnership, by quarter with cumulative totals, by country, flows):

- ours: the `xchange.kpi.sums` / `xchange.kpi.breakdowns` calls the pages and the CLI use;
- hand-written SQL: the same aggregations as raw SQL through the driver (sqlite3 / psycopg) on
  the same schema, summary tables included: the limit for our schema;
- naive: read the whole exchange table with pandas, then group in Python.

Also the headline alone, a filtered set (an ecosystem filter, which the summaries do not carry)
and an as-of date in the middle of a quarter, and the peak memory (RSS) of the process.
Figures are the median of 5 runs after one warm-up.

Last, the two readings side by side: a tenth of the register (`--edits`) is changed later by
a re-import of those rows (their host's community moved on), then the headline as known now
and as recorded then (today's summaries corrected by the records touched since) at the end of
the demo's quarter (30 Jun: only the re-import's edits come after it) and of the quarter before
(31 Mar: the demo's own later history too). Goal at 1M with 100,000 edits: as recorded under
2 s on SQLite.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from xchange.db.engine import make_engine, read_session, upgrade
from xchange.demo import load as demo
from xchange.kpi import breakdowns
from xchange.kpi import sums as kpi
from xchange.kpi.sums import Filters

TODAY = date(2026, 5, 20)  # fixed: every run measures the same data
MID_QUARTER = date(2026, 2, 14)
LAST_QUARTER_END = date(2026, 3, 31)  # the demo's own history after it touches more records
# The end of the demo's quarter: only the re-import's edits come after it.
EDITS_ONLY = date(2026, 6, 30)
# A re-imported row's host community moves on: partner -> member -> external -> partner.
NEXT_COMMUNITY = {"partner": "member", "member": "external", "external": "partner"}
RUNS = 5


def median_ms(work: Callable[[], Any]) -> float:
    work()  # warm caches (the database's and Python's)
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        work()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def ours(engine: Engine, as_of: date, filters: Filters = Filters()) -> Callable[[], Any]:
    def work() -> Any:
        with read_session(engine) as session:
            kpi.headline(session, as_of=as_of, filters=filters)
            breakdowns.by_partnership(session, as_of=as_of, filters=filters)
            breakdowns.by_quarter(session, as_of=as_of, filters=filters)
            # Flows and both sides' country totals come from one query.
            breakdowns.countries(session, as_of=as_of, filters=filters)

    return work


def ours_headline(engine: Engine, as_of: date) -> Callable[[], Any]:
    def work() -> Any:
        with read_session(engine) as session:
            kpi.headline(session, as_of=as_of)

    return work


FIGURES_DAILY = """
    SUM(CASE WHEN status = 'completed' AND end_date <= :as_of AND modality = 'physical'
             THEN n ELSE 0 END),
    SUM(CASE WHEN status = 'completed' AND end_date <= :as_of AND modality = 'physical'
             THEN sme ELSE 0 END),
    SUM(CASE WHEN status = 'completed' AND end_date <= :as_of AND modality = 'physical'
             THEN beyond_broad ELSE 0 END),
    SUM(CASE WHEN status IN ('planned', 'confirmed') THEN n ELSE 0 END),
    SUM(CASE WHEN status = 'cancelled' THEN n ELSE 0 END),
    SUM(CASE WHEN status = 'completed' AND end_date <= :as_of AND modality = 'virtual'
             THEN n ELSE 0 END)
"""
# The as-of quarter's completed stays ended by as-of and after it, from kpi_daily: which side
# (if any) the flows need from the exchange table.
QUARTER_SIDES = """
SELECT COALESCE(SUM(CASE WHEN end_date <= :as_of THEN n ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN end_date > :as_of THEN n ELSE 0 END), 0)
FROM kpi_daily
WHERE status = 'completed' AND end_date >= :quarter_start AND end_date <= :quarter_end
"""
# Whole quarters from kpi_flow: before the as-of quarter (`<`), or up to and including it
# (`<=`) when the days after as-of are taken away again.
FLOW_WHOLE = """
    SELECT visitor_country, host_country,
        SUM(CASE WHEN status = 'completed' AND end_quarter {until} :quarter
                 AND modality = 'physical' THEN n ELSE 0 END) AS counted,
        SUM(CASE WHEN status = 'completed' AND end_quarter {until} :quarter
                 AND modality = 'physical' THEN sme ELSE 0 END) AS sme,
        SUM(CASE WHEN status = 'completed' AND end_quarter {until} :quarter
                 AND modality = 'physical' THEN beyond_broad ELSE 0 END) AS beyond,
        SUM(CASE WHEN status IN ('planned', 'confirmed') THEN n ELSE 0 END) AS pipeline,
        SUM(CASE WHEN status = 'cancelled' THEN n ELSE 0 END) AS cancelled,
        SUM(CASE WHEN status = 'completed' AND end_quarter {until} :quarter
                 AND modality = 'virtual' THEN n ELSE 0 END) AS virtual
    FROM kpi_flow GROUP BY visitor_country, host_country
"""
# The as-of quarter's days from the exchange table (its covering index): added up to as-of, or
# taken away after it.
FLOW_DAYS = """
    SELECT visitor_country, host_country,
        {sign}SUM(CASE WHEN modality = 'physical' THEN 1 ELSE 0 END),
        {sign}SUM(CASE WHEN modality = 'physical' AND involves_sme THEN 1 ELSE 0 END),
        {sign}SUM(CASE WHEN modality = 'physical' AND (visitor_external OR host_external)
                 THEN 1 ELSE 0 END),
        0, 0,
        {sign}SUM(CASE WHEN modality = 'virtual' THEN 1 ELSE 0 END)
    FROM exchange
    WHERE status = 'completed' AND {days}
    GROUP BY visitor_country, host_country
"""
FLOWS = """
SELECT visitor_country, host_country, SUM(counted), SUM(sme), SUM(beyond), SUM(pipeline),
       SUM(cancelled), SUM(virtual)
FROM ({whole} UNION ALL {days}) AS parts
GROUP BY visitor_country, host_country
"""
HEAD_DAYS = "end_date >= :quarter_start AND end_date <= :as_of"
TAIL_DAYS = "end_date > :as_of AND end_date <= :quarter_end"
HAND_WRITTEN = [
    f"SELECT {FIGURES_DAILY} FROM kpi_daily",
    f"SELECT partnership_id, {FIGURES_DAILY} FROM kpi_daily GROUP BY partnership_id",
    f"SELECT end_quarter, {FIGURES_DAILY} FROM kpi_daily GROUP BY end_quarter ORDER BY 1",
    QUARTER_SIDES,
]


def flows_sql(before: int, after: int) -> str:
    """The flows query for an as-of quarter with these completed stays before / after as-of:
    exactly what ours computes (xchange.kpi.grouping._grouped_by_quarters)."""
    subtract = after < before
    whole = FLOW_WHOLE.format(until="<=" if subtract else "<")
    if min(before, after) == 0:
        return whole
    days = FLOW_DAYS.format(sign="-" if subtract else "", days=TAIL_DAYS if subtract else HEAD_DAYS)
    return FLOWS.format(whole=whole, days=days)


def hand_written(engine: Engine, as_of: date) -> Callable[[], Any]:
    """The same aggregations, as raw SQL through the driver, totals summed in Python."""
    first_day, last_day = kpi.quarter_bounds(as_of)
    params: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "quarter": f"{as_of.year}Q{(as_of.month - 1) // 3 + 1}",
        "quarter_start": first_day.isoformat(),
        "quarter_end": last_day.isoformat(),
    }
    sqlite = engine.dialect.name == "sqlite"

    def run(cursor: Any, sql: str) -> list[Any]:
        if not sqlite:  # psycopg's parameter style
            for name in sorted(params, key=len, reverse=True):
                sql = sql.replace(f":{name}", f"%({name})s")
        cursor.execute(sql, params)
        return list(cursor.fetchall())

    def work() -> Any:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            results = [run(cursor, sql) for sql in HAND_WRITTEN]
            quarters, ((before, after),) = results[2], results[3]
            pairs = run(cursor, flows_sql(before, after))
            total = 0
            for row in quarters:  # cumulative totals, as ours gives them
                total += row[1] or 0
            visitor: dict[str, int] = {}
            host: dict[str, int] = {}
            for row in pairs:  # both sides' country totals from the pairs, as ours does
                visitor[row[0]] = visitor.get(row[0], 0) + (row[2] or 0)
                host[row[1]] = host.get(row[1], 0) + (row[2] or 0)
        finally:
            raw.close()

    return work


def naive(engine: Engine, as_of: date) -> Callable[[], Any]:
    """Read the whole exchange table with pandas, then group in Python."""

    def work() -> Any:
        with engine.connect() as connection:
            frame = pd.read_sql_table("exchange", connection)
        end = pd.to_datetime(frame["end_date"])
        counted = frame[
            (frame["status"] == "completed")
            & (frame["modality"] == "physical")
            & (end <= pd.Timestamp(as_of))
        ].copy()
        counted["beyond"] = counted["visitor_external"] | counted["host_external"]
        sums = ["involves_sme", "beyond"]
        counted[sums].sum()
        counted.groupby("partnership_id")[sums].sum()
        counted.groupby("end_quarter")[sums].sum().cumsum()
        counted.groupby("visitor_country")[sums].sum()
        counted.groupby("host_country")[sums].sum()
        counted.groupby(["visitor_country", "host_country"])[sums].sum()
        frame["status"].value_counts()

    return work


def reimport_changed(engine: Engine, size: int, edits: int) -> float:
    """Re-import `edits` of the demo's rows (spread over the register), each with its host's
    community moved on: the later edits, made in bulk. Seconds taken."""
    from sqlmodel import select

    from xchange.db.engine import LOCAL_ADMIN_EMAIL, write_session
    from xchange.imports.files import read_file
    from xchange.imports.importer import run_import
    from xchange.models import User

    frame = demo.demo_frame(size, seed=demo.DEFAULT_SEED, today=TODAY)
    rows = frame.iloc[:: max(1, size // edits)].head(edits).copy()
    rows["host_community"] = rows["host_community"].map(NEXT_COMMUNITY)
    data = rows.to_csv(index=False).encode()
    source = read_file(data, "later-edits.csv", max_bytes=len(data))
    began = time.perf_counter()
    with write_session(engine, check_foreign_keys=False) as session:
        actor = session.exec(select(User).where(User.email == LOCAL_ADMIN_EMAIL)).one()
        report = run_import(session=session, actor=actor, source=source, today=TODAY)
    assert report.rows_updated == len(rows), report.summary()
    return time.perf_counter() - began


def ours_recorded(engine: Engine, as_of: date) -> Callable[[], Any]:
    def work() -> Any:
        with read_session(engine) as session:
            return kpi.headline(session, as_of=as_of, recorded=True)

    return work


def readings(engine: Engine, size: int, edits: int) -> dict[str, Any]:
    """The headline at the last quarter's end as known now and as recorded then, after
    `edits` later edits; the CPU seconds of one reading as recorded beside its median."""
    seconds = reimport_changed(engine, size, edits)
    print(f"  re-imported {edits:,} changed rows in {seconds:.1f} s", flush=True)
    row: dict[str, Any] = {"later edits": f"{edits:,}"}
    for day in (EDITS_ONLY, LAST_QUARTER_END):
        label = f"{day:%d %b}"
        row[f"{label}: known now (ms)"] = median_ms(ours_headline(engine, day))
        row[f"{label}: as recorded (ms)"] = median_ms(ours_recorded(engine, day))
        cpu = time.process_time()
        then = ours_recorded(engine, day)()
        row[f"{label}: as recorded, CPU (ms)"] = (time.process_time() - cpu) * 1000
        with read_session(engine) as session:
            now = kpi.headline(session, as_of=day)
        row[f"{label}: beyond now / then"] = f"{now.beyond_community:,} / {then.beyond_community:,}"
    return row


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: on Linux ru_maxrss survives
    exec, so a child would report its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(url: str, size: int) -> Engine:
    engine = make_engine(url)
    upgrade(engine)
    began = time.perf_counter()
    demo.load_demo(engine, exchanges=size, seed=demo.DEFAULT_SEED, today=TODAY)
    print(f"  built {size:,} exchanges in {time.perf_counter() - began:.1f} s", flush=True)
    return engine


def ours_peak_rss_mb(url: str) -> float:
    """Peak RSS of a fresh process that computes the dashboard set: what ours needs, alone."""
    import subprocess
    import sys

    output = subprocess.run(
        [sys.executable, __file__, "--rss-of", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(output.strip().splitlines()[-1])


def measure(engine: Engine, size: int, with_naive: bool) -> dict[str, Any]:
    row: dict[str, Any] = {"exchanges": f"{size:,}"}
    row["ours: dashboard set (ms)"] = median_ms(ours(engine, TODAY))
    row["ours: headline (ms)"] = median_ms(ours_headline(engine, TODAY))
    row["hand SQL (ms)"] = median_ms(hand_written(engine, TODAY))
    row["ours / hand"] = row["ours: dashboard set (ms)"] / row["hand SQL (ms)"]
    row["peak RSS, ours (MB)"] = ours_peak_rss_mb(engine.url.render_as_string(hide_password=False))
    if with_naive:
        row["naive pandas (ms)"] = median_ms(naive(engine, TODAY))
        row["naive / ours"] = row["naive pandas (ms)"] / row["ours: dashboard set (ms)"]
    row["ecosystem filter (ms)"] = median_ms(ours(engine, TODAY, Filters(ecosystems=("DIGI",))))
    row["mid-quarter as-of (ms)"] = median_ms(ours(engine, MID_QUARTER))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="also measure on this (empty, throwaway) PostgreSQL database",
    )
    parser.add_argument("--no-naive", action="store_true", help="skip the naive baseline")
    parser.add_argument(
        "--edits", type=float, default=0.1, help="later edits, as a share of the register"
    )
    parser.add_argument(
        "--readings-only", action="store_true", help="measure the two readings alone"
    )
    parser.add_argument("--rss-of", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_of:  # the child process of ours_peak_rss_mb
        engine = make_engine(args.rss_of)
        for _ in range(3):
            ours(engine, TODAY)()
        print(peak_rss_mb())
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    rows: list[dict[str, Any]] = []
    readings_rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            print(f"SQLite, {size:,} exchanges", flush=True)
            engine = build(f"sqlite:///{Path(folder) / f'kpi-{size}.db'}", size)
            if not args.readings_only:
                rows.append({"database": "SQLite", **measure(engine, size, not args.no_naive)})
            edits = int(size * args.edits)
            read = {"database": "SQLite", "exchanges": f"{size:,}", **readings(engine, size, edits)}
            readings_rows.append(read)
            engine.dispose()
    if args.postgres:
        import sqlalchemy as sa

        for size in sizes:
            print(f"PostgreSQL, {size:,} exchanges", flush=True)
            admin = make_engine(args.postgres)
            with admin.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            admin.dispose()
            # The demo load ends with VACUUM (ANALYZE), as every bulk load should.
            engine = build(args.postgres, size)
            rows.append({"database": "PostgreSQL", **measure(engine, size, not args.no_naive)})
            engine.dispose()
    with pd.option_context(
        "display.width", 250, "display.max_columns", 30, "display.float_format", "{:,.1f}".format
    ):
        for found in (rows, readings_rows):
            if found:
                print()
                print(pd.DataFrame(found).to_string(index=False))
    print(
        "\nGoals at 1M: dashboard set <= 300 ms (SQLite) / 150 ms (PostgreSQL), headline "
        "<= 50 ms, <= 1.5x hand SQL, >= 10x faster than naive, peak RSS < 200 MB, any "
        "filter or as-of <= 1 s; as recorded at the last quarter's end with a tenth of the "
        "register edited since < 2 s (SQLite)."
    )


if __name__ == "__main__":
    main()
