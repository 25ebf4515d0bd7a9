"""Every benchmark, run on an earlier commit and on this tree in one run, printed side by side.

    uv run python benchmarks/compare.py --base ea5560a                 # every benchmark
    uv run python benchmarks/compare.py --base ea5560a --only import cli --quick

The earlier commit is checked out into a temporary git worktree with its own locked environment
(`uv sync --locked`), and each benchmark runs there with that commit's own script, then here with
this tree's, one after the other, so both meet the same machine at nearly the same moment.
`--quick` passes smaller sizes where a benchmark takes them. A benchmark that the earlier commit
lacks is run here only.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# name -> (arguments, arguments with --quick)
BENCHMARKS = {
    "kpi": ([], ["--sizes", "10000,100000", "--no-naive"]),
    "import": (["--runs", "5"], ["--runs", "3", "--baseline", "200"]),
    "dashboard": ([], ["--exchanges", "20000"]),
    "demo": ([], ["--sizes", "10000,100000"]),
    "pack": ([], ["--runs", "2"]),
    "cli": ([], ["--runs", "5"]),
    "quarter_lock": ([], ["--runs", "3"]),
}


def run(tree: Path, name: str, arguments: list[str]) -> str:
    script = tree / "benchmarks" / f"{name}.py"
    if not script.exists():
        return "(no such benchmark at this commit)\n"
    done = subprocess.run(
        ["uv", "run", "--locked", "python", str(script), *arguments],
        cwd=tree,
        capture_output=True,
        text=True,
    )
    return done.stdout + (
        f"(exit {done.returncode}) {done.stderr[-2000:]}" if done.returncode else ""
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the earlier commit")
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS), help="these benchmarks")
    parser.add_argument("--quick", action="store_true", help="smaller sizes where possible")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="xchange-base-") as folder:
        base = Path(folder) / "base"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(base), args.base], cwd=ROOT, check=True
        )
        try:
            subprocess.run(["uv", "sync", "--locked", "-q"], cwd=base, check=True)
            for name in args.only or BENCHMARKS:
                full, quick = BENCHMARKS[name]
                arguments = quick if args.quick else full
                print(f"==== {name} {' '.join(arguments)}", flush=True)
                print(f"---- {args.base} (before)")
                print(run(base, name, arguments), flush=True)
                print("---- this tree (now)")
                print(run(ROOT, name, arguments), flush=True)
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, check=False
            )
    sys.exit(0)


if __name__ == "__main__":
    main()
