"""How long `xchange demo` takes: 10k, 100k and 1M exchanges into a fresh SQLite file each.

    uv run python benchmarks/demo.py                      # 10k, 100k, 1M
    uv run python benchmarks/demo.py --sizes 10000,50000  # others

Beside each figure, the baseline: the same rows written the naive way, one ORM object per row
through `session.add_all` and a commit. It is measured at 10k only (longer would be a wait
for nothing) and extrapolated linearly to the larger sizes, labelled as such.
The acceptance criterion for `load_demo` is under 60 s for a million exchanges on SQLite.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session

from xchange.db.engine import make_engine, upgrade
from xchange.demo import facts as demo_facts
from xchange.demo import generate as demo_gen
from xchange.demo import load as demo
from xchange.models import Exchange, Organisation, Person
from xchange.reference import name_key

TODAY = date(2026, 5, 20)  # fixed, so that every run times the same data
SEED = demo.DEFAULT_SEED
BASELINE_SIZE = 10_000


def fresh_engine(folder: Path, name: str) -> Engine:
    engine = make_engine(f"sqlite:///{folder / name}")
    upgrade(engine)
    return engine


def time_load_demo(folder: Path, size: int) -> tuple[float, float]:
    """Wall-clock and CPU seconds for `load_demo` (generation, checks and writing) into a fresh
    database. On a shared machine the CPU time says more: it does not grow with other loads.
    """
    engine = fresh_engine(folder, f"demo-{size}.db")
    try:
        began, cpu = time.perf_counter(), time.process_time()
        demo.load_demo(engine, exchanges=size, seed=SEED, today=TODAY)
        return time.perf_counter() - began, time.process_time() - cpu
    finally:
        engine.dispose()


def _moment(value: Any) -> datetime:
    return datetime.fromisoformat(str(value.astype("datetime64[s]"))).replace(tzinfo=UTC)


def _day(value: Any) -> date | None:
    return None if np.isnat(value) else date.fromisoformat(str(value.astype("datetime64[D]")))


def time_orm_baseline(folder: Path, size: int) -> float:
    """Seconds to write the same rows as ORM objects with `session.add_all` (data generated
    beforehand and not timed; partnerships and accounts loaded beforehand by `load_demo`).
    """
    engine = fresh_engine(folder, f"orm-{size}.db")
    try:
        demo.load_demo(engine, exchanges=0, seed=SEED, today=TODAY)
        data = demo_gen.generate(size, SEED, TODAY)
        facts = demo_facts.stored_facts(data)
        began = time.perf_counter()
        with Session(engine) as session:
            session.add_all(
                Organisation(
                    id=k + 1,
                    name=name,
                    name_key=name_key(name),
                    type=data.org_type[k],
                    country=data.org_country[k],
                    is_sme=bool(data.org_is_sme[k]),
                    size_class=data.org_size_class[k],
                    created_at=_moment(data.org_created[k]),
                )
                for k, name in enumerate(data.org_name)
            )
            session.add_all(
                Person(id=k + 1, name=name, created_at=_moment(data.person_created[k]))
                for k, name in enumerate(data.person_name)
            )
            session.flush()
            for i in range(size):
                v, h = int(data.visitor[i]), int(data.host[i])
                lump = int(facts["lump_sum_cents"][i])
                paid_on = _day(data.paid_on[i])
                person = int(data.representative[i])
                distance = float(data.distance_km[i])
                session.add(
                    Exchange(
                        partnership_id=int(data.partnership[i]) + 1,
                        reference=data.reference[i],
                        status=data.status[i],
                        modality=data.modality[i],
                        start_date=_day(data.start[i]),
                        end_date=_day(data.end[i]),
                        visitor_org_id=v + 1,
                        host_org_id=h + 1,
                        visitor_type=data.org_type[v],
                        host_type=data.org_type[h],
                        visitor_country=data.org_country[v],
                        host_country=data.org_country[h],
                        visitor_is_sme=bool(data.org_is_sme[v]),
                        host_is_sme=bool(data.org_is_sme[h]),
                        visitor_community=data.visitor_community[i],
                        host_community=data.host_community[i],
                        ecosystem=data.ecosystem[i],
                        activity=data.activity[i],
                        representative_id=None if person < 0 else person + 1,
                        distance_km=None if np.isnan(distance) else distance,
                        lump_sum_cents=lump,
                        cancellation_reason=data.cancellation_reason[i],
                        validated_on=_day(data.validated_on[i]),
                        validated_by=data.validated_by[i],
                        paid_on=paid_on,
                        paid_cents=lump if paid_on else None,
                        notes=data.notes[i],
                        created_at=_moment(data.created[i]),
                        updated_at=_moment(data.updated[i]),
                        end_quarter=str(facts["end_quarter"][i]),
                        working_days=int(facts["working_days"][i]),
                        reduced_rate=bool(facts["reduced_rate"][i]),
                        involves_sme=bool(facts["involves_sme"][i]),
                        visitor_external=bool(facts["visitor_external"][i]),
                        host_external=bool(facts["host_external"][i]),
                        visitor_partner=bool(facts["visitor_partner"][i]),
                        host_partner=bool(facts["host_partner"][i]),
                    )
                )
            session.commit()
        return time.perf_counter() - began
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    load = os.getloadavg()[0]
    print(f"SQLite, fresh temporary file per run; {os.cpu_count()} CPUs, load average {load:.2f}")
    print("(wall-clock time; CPU time of this process beside it)")
    with tempfile.TemporaryDirectory(prefix="xchange-bench-") as folder:
        baseline = time_orm_baseline(Path(folder), BASELINE_SIZE)
        per_row = baseline / BASELINE_SIZE
        print(
            f"{'exchanges':>10}  {'load_demo':>10}  {'(CPU)':>8}  {'rows/s':>9}  ORM add_all baseline"
        )
        for size in sizes:
            seconds, cpu = time_load_demo(Path(folder), size)
            if size == BASELINE_SIZE:
                orm = f"{baseline:8.1f} s  (measured)"
            else:
                orm = f"{per_row * size:8.1f} s  (extrapolated from {BASELINE_SIZE:,})"
            print(
                f"{size:>10,}  {seconds:>8.1f} s  {cpu:>6.1f} s  {size / seconds:>9,.0f}  {orm}",
                flush=True,
            )
            if size == 1_000_000:
                verdict = "meets" if seconds < 60 else "MISSES"
                print(f"{'':>10}  {verdict} the 60 s acceptance criterion for 1M on SQLite")


if __name__ == "__main__":
    main()
