"""Start-up time of the `xchange` command: `--help` and `kpi` on the demo register, beside a bare
`python -c pass` in the same run.

    uv run python benchmarks/cli.py                 # 900 demo exchanges, 7 runs each
    uv run python benchmarks/cli.py --runs 15 --no-bytecode
    uv run python benchmarks/cli.py --runs 3 --no-bytecode --cold

Each figure is the wall time of a whole process, as a person typing the command waits for it;
`cpu` is the median user + system time the process used, the steadier figure on a busy machine. `--no-bytecode` runs every command with PYTHONDONTWRITEBYTECODE=1, as on a host that forbids
writing `.pyc` files: the figures then show whether the installed bytecode is used (`make setup`
compiles it). `--cold` adds what such a host pays without it: Python looks for bytecode in an
empty folder (PYTHONPYCACHEPREFIX), so every module is compiled from source in every run. Goals:
`xchange --help` under 0.3 s, `xchange kpi` under 0.8 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOALS = {"xchange --help": 0.3, "xchange kpi": 0.8}


def timed(command: list[str], env: dict[str, str], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU (user + system) times of `runs` runs of `command`, after one unmeasured run
    that warms the caches. The CPU time is what the command itself costs: on a busy machine the
    wall time also counts the wait for a core."""
    walls, cpus = [], []
    for attempt in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - began
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if attempt:
            walls.append(wall)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return walls, cpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchanges", type=int, default=900)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-bytecode", action="store_true")
    parser.add_argument("--cold", action="store_true", help="with --no-bytecode: no .pyc at all")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "XCHANGE_DATABASE_URL": f"sqlite:///{Path(folder) / 'cli.db'}"}
        xchange = [sys.executable, "-m", "xchange"]
        subprocess.run([*xchange, "init"], env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(
            [*xchange, "demo", "--exchanges", str(args.exchanges)],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        if args.no_bytecode:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
            if args.cold:
                env["PYTHONPYCACHEPREFIX"] = str(Path(folder) / "no-bytecode")
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "xchange --help": [*xchange, "--help"],
            "xchange kpi": [*xchange, "kpi"],
        }
        print(
            f"{'command':<18} {'median':>8} {'min':>8} {'max':>8} {'cpu':>8} {'goal':>8}"
            f"   ({args.runs} runs, {args.exchanges} exchanges"
            f"{', PYTHONDONTWRITEBYTECODE=1' if args.no_bytecode else ''}"
            f"{', no .pyc at all' if args.no_bytecode and args.cold else ''})"
        )
        for name, command in commands.items():
            times, cpus = timed(command, env, args.runs)
            goal = GOALS.get(name)
            shown = f"{goal:.2f} s" if goal else ""
            print(
                f"{name:<18} {statistics.median(times):>6.3f} s {min(times):>6.3f} s "
                f"{max(times):>6.3f} s {statistics.median(cpus):>6.3f} s {shown:>8}"
            )


if __name__ == "__main__":
    main()
