"""The approved-quarter lock over an import's rows: the set-based check every import runs
(`programme.quarters.locked_among`), beside a row-by-row loop over the same rows, in one run.

    uv run python benchmarks/quarter_lock.py                     # 100,000 rows, 400 approved quarters
    uv run python benchmarks/quarter_lock.py --rows 1000000 --runs 3

An import asks one query for the approved quarters, then this: which of the file's (partnership,
quarter) pairs fall in one. Goal: under 0.5 s for 100,000 rows, so that a lock adds little to an
import of that size (the import's own goals are in docs/performance.md).
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime

import numpy as np

from xchange.programme.quarters import Lock, locked_among

GOAL_S = 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--partnerships", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    now = datetime.now(UTC)
    quarters = [f"{y}Q{q}" for y in (2025, 2026) for q in (1, 2, 3, 4)]
    locks = {
        (p, q): Lock(p, f"P{p}", q, "officer@ec.europa.eu", now)
        for p in range(1, args.partnerships + 1)
        for q in quarters
    }
    rng = np.random.default_rng(2026)  # deterministic rows: partnerships and quarters, some locked
    ids = rng.integers(1, args.partnerships + 10, args.rows)
    years, qs = rng.integers(2024, 2028, args.rows), rng.integers(1, 5, args.rows)
    pairs = np.array([f"{y}Q{q}" for y, q in zip(years, qs, strict=True)], dtype=object)

    def set_based() -> int:
        return int(locked_among(locks, ids, pairs).sum())

    def row_by_row() -> int:
        return sum((int(p), q) in locks for p, q in zip(ids, pairs, strict=True))

    assert set_based() == row_by_row()
    print(f"{args.rows:,} rows, {len(locks):,} approved quarters, {set_based():,} rows locked")
    for name, work in (("set-based (the import's)", set_based), ("row by row", row_by_row)):
        times = []
        for _ in range(args.runs):
            began = time.perf_counter()
            work()
            times.append(time.perf_counter() - began)
        median = statistics.median(times)
        goal = f"  (goal < {GOAL_S} s)" if name.startswith("set") else ""
        print(f"{name:26} median {median:.3f} s over {args.runs} runs{goal}")


if __name__ == "__main__":
    main()
