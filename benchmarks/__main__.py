"""``python -m benchmarks [--quick] [--scenario a,b,c,d]``: run, print the table, save JSON/PNG."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from benchmarks import report, sdk
from benchmarks.machine import describe
from benchmarks.scenarios import SCENARIOS, Sizes
from benchmarks.server import EMULATOR_CPU, pin_client_process

HERE = Path(__file__).resolve().parent


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small N for a smoke run (writes results-quick.json/.png)",
    )
    parser.add_argument(
        "--scenario", default="a,b,c,d", help="comma-separated scenarios to run (default a,b,c,d)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=HERE,
        help="folder for results.json and results.png (default: benchmarks/)",
    )
    args = parser.parse_args(argv)
    args.scenarios = [s.strip() for s in args.scenario.split(",") if s.strip()]
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen scenarios and report them."""
    args = parse_args(argv)
    sizes = Sizes.quick() if args.quick else Sizes()
    cores = pin_client_process()
    machine = describe()
    if cores is not None:
        machine["emulator_cpu"] = EMULATOR_CPU
        machine["client_cpus"] = ",".join(map(str, sorted(cores)))
    if not sdk.available():
        print(
            "the official SDK is not installed (pip install -e '.[bench]'): its rows are left out",
            file=sys.stderr,
        )
    rows: list[dict[str, Any]] = []
    targets: list[dict[str, Any]] = []
    started = time.perf_counter()
    for name in args.scenarios:
        print(f"scenario ({name})...", file=sys.stderr, flush=True)
        scenario_rows, scenario_targets = SCENARIOS[name](sizes)
        rows += scenario_rows
        targets += scenario_targets
    table = report.markdown(machine, rows, targets)
    print(table)
    stem = "results-quick" if args.quick else "results"
    args.out.mkdir(parents=True, exist_ok=True)
    document = {
        "machine": machine,
        "quick": args.quick,
        "sizes": sizes_dict(sizes),
        "duration_s": round(time.perf_counter() - started, 1),
        "rows": rows,
        "targets": targets,
        "table": table,
    }
    report.write_json(args.out / f"{stem}.json", document)
    report.plot(args.out / f"{stem}.png", rows, machine)
    print(f"\nwrote {args.out / stem}.json and .png", file=sys.stderr)
    return 0


def sizes_dict(sizes: Sizes) -> dict[str, Any]:
    """The sizes as JSON-ready data."""
    return attrs.asdict(sizes)


if __name__ == "__main__":
    raise SystemExit(main())
