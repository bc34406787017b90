"""``python -m benchmarks [--quick] [--scenario a,b,c,d] [--rounds N] [--compare REV]``.

Runs the scenarios in interleaved rounds, prints one table per scenario (medians, min-max over
the rounds) and saves every round in JSON, with a PNG chart. ``--compare REV`` instead runs
aiocloudocr from the working tree and from git revision REV side by side and prints the ratios.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from benchmarks import affinity, report, sdk
from benchmarks.compare import COMPARABLE
from benchmarks.machine import describe
from benchmarks.scenarios import SCENARIOS, Sizes
from benchmarks.server import pin_client_process

HERE = Path(__file__).resolve().parent


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line, checked: ``scenarios`` is the list of scenarios to run."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small N and 2 rounds for a smoke run (writes results-quick.json/.png)",
    )
    parser.add_argument(
        "--scenario",
        default=None,
        help="comma-separated scenarios to run (default a,b,c,d; with --compare a,b)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="interleaved rounds per scenario (default 3; 2 with --quick)",
    )
    parser.add_argument(
        "--compare",
        metavar="REV",
        default=None,
        help="run the working tree and git revision REV side by side (scenarios a, b)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=HERE,
        help="folder for the JSON and PNG results (default: benchmarks/)",
    )
    args = parser.parse_args(argv)
    default = ",".join(COMPARABLE) if args.compare else ",".join(SCENARIOS)
    chosen = args.scenario if args.scenario is not None else default
    args.scenarios = list(dict.fromkeys(s.strip() for s in chosen.split(",") if s.strip()))
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    if not args.scenarios:
        parser.error("no scenario chosen")
    if args.compare is not None:
        if not args.compare.strip():
            parser.error("--compare needs a git revision")
        others = [s for s in args.scenarios if s not in COMPARABLE]
        if others:
            parser.error(f"--compare runs scenarios {' and '.join(COMPARABLE)} only, not {others}")
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def sizes_for(args: argparse.Namespace) -> Sizes:
    """The sizes the arguments ask for."""
    sizes = Sizes.quick() if args.quick else Sizes()
    return attrs.evolve(sizes, rounds=args.rounds) if args.rounds is not None else sizes


def _machine(pinned: bool) -> dict[str, Any]:
    machine = describe()
    machine["date"] = time.strftime("%Y-%m-%d %H:%M %Z")
    if pinned:
        machine["emulator_cpu"] = affinity.EMULATOR_CPU
        machine["client_cpus"] = str(affinity.CLIENT_CPU)
    with open("/proc/loadavg", encoding="ascii") as load:
        machine["loadavg_at_start"] = load.read().split()[0]
    machine["revision"] = _revision()
    return machine


def _revision() -> str:
    """The working tree's commit, and how many tracked files differ from it."""
    from benchmarks.compare import git

    try:
        head = git("rev-parse", "--short", "HEAD")
        changed = len(git("status", "--porcelain", "--untracked-files=no").splitlines())
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} + {changed} changed files" if changed else head


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen scenarios (or the comparison) and report them."""
    args = parse_args(argv)
    sizes = sizes_for(args)
    pinned = pin_client_process() is not None
    if not pinned:
        print("CPUs 0 and 1 are not both available: nothing is pinned", file=sys.stderr)
    machine = _machine(pinned)
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if args.compare is not None:
        return _compare(args, sizes, machine, started)
    if not sdk.available():
        print(
            "the official SDK is not installed (pip install -e '.[bench]'): its rows are left out",
            file=sys.stderr,
        )
    rows: list[dict[str, Any]] = []
    verdicts = []
    emulator_checks: list[dict[str, Any]] = []
    for name in args.scenarios:
        print(f"scenario ({name})...", file=sys.stderr, flush=True)
        outcome = SCENARIOS[name](sizes)
        rows += outcome.rows
        verdicts += outcome.verdicts
        emulator_checks += outcome.emulator_checks
    client_checks = [run["pinning"] for row in rows for run in row["runs"] if run.get("pinning")]
    if pinned:
        machine["pinning"] = affinity.summary(emulator_checks, client_checks)
    table = report.markdown(machine, rows, verdicts)
    print(table)
    print(f"\nThe official SDK's configuration: {sdk.configuration()}")
    stem = "results-quick" if args.quick else "results"
    document = {
        "machine": machine,
        "quick": args.quick,
        "sizes": attrs.asdict(sizes),
        "duration_s": round(time.perf_counter() - started, 1),
        "sdk_configuration": sdk.configuration(),
        "emulator_pinning": emulator_checks,
        "rows": rows,
        "targets": [v.as_dict() for v in verdicts],
        "table": table,
    }
    report.write_json(args.out / f"{stem}.json", document)
    report.plot(args.out / f"{stem}.png", rows, machine)
    print(f"\nwrote {args.out / stem}.json and .png", file=sys.stderr)
    return 0


def _compare(
    args: argparse.Namespace, sizes: Sizes, machine: dict[str, Any], started: float
) -> int:
    from benchmarks import compare

    try:
        result = compare.run(args.compare, sizes, args.scenarios)
    except ValueError as exc:
        print(f"python -m benchmarks: {exc}", file=sys.stderr)
        return 2
    checks = [
        run["pinning"]
        for row in result.rows
        for runs in row["runs"].values()
        for run in runs
        if run.get("pinning")
    ]
    if machine.get("client_cpus") is not None:
        machine["pinning"] = affinity.summary(result.emulator_checks, checks)
    lines = [
        report.machine_line(machine),
        "",
        f"Ratios are {result.labels[0]} / {result.labels[1]}, paired by round "
        f"({sizes.rounds} rounds; median, min-max).",
        *(
            f"- {label} imported aiocloudocr from {', '.join(paths)}"
            for label, paths in result.imported.items()
        ),
        "",
        result.table,
    ]
    text = "\n".join(lines)
    print(text)
    document = {
        "machine": machine,
        "compare": {"labels": result.labels, "imported": result.imported},
        "sizes": attrs.asdict(sizes),
        "duration_s": round(time.perf_counter() - started, 1),
        "rows": result.rows,
        "table": text,
    }
    safe = "".join(ch if ch.isalnum() or ch in "-._" else "_" for ch in args.compare)
    report.write_json(args.out / f"compare-{safe}.json", document)
    print(f"\nwrote {args.out / f'compare-{safe}.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
