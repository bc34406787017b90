"""The results as Markdown tables (one per scenario), a JSON document and a PNG chart.

Every figure in a table is the median over the rounds, with the lowest and highest round in
brackets; ratios are taken round by round between runs of the same round, then summarised.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.rounds import Row, spread
from benchmarks.stats import Verdict

TITLES = {
    "a": "(a) no added latency, ~100 KB images",
    "b": "(b) 100 ms per call, small images",
    "c": "(c) rate-limited: 50 calls per 1 s window",
    "d": "(d) client.map over files on disk",
}
Cell = Callable[[Row], str]


def _figure(key: str, digits: int = 2, *, scale: float = 1.0, suffix: str = "") -> Cell:
    return lambda row: spread(row, key).text(digits, scale=scale, suffix=suffix)


def _ratio(key: str) -> Cell:
    return lambda row: spread(row, key).text(2, suffix="x")


def _percent(key: str) -> Cell:
    return lambda row: spread(row, key).text(1, scale=100, suffix="%")


COMMON: list[tuple[str, Cell]] = [
    ("Client", lambda row: str(row["client"])),
    ("Conc.", lambda row: str(row["concurrency"])),
    ("N", lambda row: f"{row['n']:,}"),
    ("Failed", _figure("failed", 0)),
]
COLUMNS: dict[str, list[tuple[str, Cell]]] = {
    "a": [
        *COMMON,
        ("Req/s", _figure("requests_per_s", 0)),
        ("Req/s at emulator", _figure("emulator_rps", 0)),
        ("CPU ms/req", _figure("cpu_ms_per_request", 3)),
        ("GC share of CPU", _percent("gc_share")),
        ("Emulator busy", _percent("emulator_busy")),
        ("CPU/req vs raw", _ratio("vs_raw")),
        ("CPU/req vs ceiling", _ratio("vs_ceiling")),
    ],
    "b": [
        *COMMON,
        ("Makespan s", _figure("wall", 2)),
        ("Req/s", _figure("requests_per_s", 0)),
        ("Req/s at emulator", _figure("emulator_rps", 0)),
        ("CPU ms/req", _figure("cpu_ms_per_request", 3)),
        ("GC share of CPU", _percent("gc_share")),
        ("Emulator busy", _percent("emulator_busy")),
        ("Peak in flight", _figure("max_in_flight", 0)),
        ("Makespan vs raw", _ratio("vs_raw")),
        ("vs ceiling", _ratio("vs_ceiling")),
        ("vs ideal N x 0.1 s / c", _ratio("vs_ideal")),
        ("Req/s vs SDK's best", _ratio("vs_sdk")),
    ],
    "c": [
        *COMMON,
        ("Makespan s", _figure("wall", 2)),
        ("vs N/limit", _ratio("vs_ideal")),
        ("Requests sent", _figure("sent", 0)),
        ("Throttled answers", _figure("throttled", 0)),
        ("Throttled after 2 s", _figure("late_throttles", 0)),
        ("CPU ms/req", _figure("cpu_ms_per_request", 3)),
        ("GC share of CPU", _percent("gc_share")),
    ],
    "d": [
        *COMMON,
        ("Makespan s", _figure("wall", 2)),
        ("Req/s", _figure("requests_per_s", 0)),
        ("Peak RSS MB", _figure("peak_rss", 1, scale=1 / 2**20)),
        ("vs first N", _ratio("vs_base")),
    ],
}


def _verdicts_for(row: Row, verdicts: Sequence[Verdict]) -> str:
    if row.get("is_base"):
        return "baseline"
    mine = [
        v
        for v in verdicts
        if v.scenario == row["scenario"]
        and v.client == row["client"]
        and v.concurrency in (None, row["concurrency"])
    ]
    return "; ".join(v.text() for v in mine)


def machine_line(machine: dict[str, Any]) -> str:
    """The machine, the date and the pinning, in one line."""
    return (
        f"**Machine:** {machine['cpu']}, {machine['cores']} cores, {machine['os']}, "
        f"{machine['python']}; run {machine.get('date', '-')}, aiocloudocr at "
        f"{machine.get('revision', '-')}; emulator pinned to CPU "
        f"{machine.get('emulator_cpu', '-')}, clients to CPU {machine.get('client_cpus', '-')} "
        f"({machine.get('pinning', 'not checked')})."
    )


def table(scenario: str, rows: Sequence[Row], verdicts: Sequence[Verdict]) -> list[str]:
    """The Markdown table of one scenario."""
    columns = [*COLUMNS[scenario], ("Target", lambda row: _verdicts_for(row, verdicts))]
    lines = [
        "| " + " | ".join(name for name, _ in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    lines += ["| " + " | ".join(cell(row) for _, cell in columns) + " |" for row in rows]
    return lines


def markdown(
    machine: dict[str, Any],
    rows: Sequence[Row],
    verdicts: Sequence[Verdict],
) -> str:
    """Every scenario's table, headed by the machine and followed by the verdicts."""
    lines = [machine_line(machine), ""]
    for scenario, title in TITLES.items():
        mine = [r for r in rows if r["scenario"] == scenario]
        if not mine:
            continue
        rounds = max(len(r["runs"]) for r in mine)
        lines += [f"**{title}**, {rounds} round{'' if rounds == 1 else 's'}:", ""]
        lines += [*table(scenario, mine, verdicts), ""]
    if verdicts:
        lines.append("**Targets** (judged on the median of the rounds):")
        lines.append("")
        lines += [
            f"- ({v.scenario}) {v.client}"
            + (f" c={v.concurrency}" if v.concurrency else "")
            + f" - {v.text()}"
            for v in verdicts
        ]
    return "\n".join(lines).rstrip()


def write_json(path: Path, document: dict[str, Any]) -> None:
    """Write the whole result document."""
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")


PANELS = [
    ("a", "cpu_ms_per_request", "client CPU ms / request", 1.0),
    ("b", "wall", "makespan, s (dashed: ideal N x latency / c)", 1.0),
    ("c", "wall", "makespan, s (dashed: N / limit)", 1.0),
    ("d", "peak_rss", "peak RSS, MB", 1 / 2**20),
]


def plot(path: Path, rows: Sequence[Row], machine: dict[str, Any]) -> None:
    """One panel per scenario that ran: medians as bars, min-max over rounds as error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    present = [p for p in PANELS if any(r["scenario"] == p[0] for r in rows)]
    if not present:
        return
    columns = min(2, len(present))
    lines = (len(present) + 1) // 2
    figure, axes = plt.subplots(lines, columns, figsize=(7 * columns, 5 * lines), squeeze=False)
    for axis in axes.flat[len(present) :]:
        axis.set_visible(False)
    for axis, (scenario, key, label, scale) in zip(axes.flat, present, strict=False):
        mine = [r for r in rows if r["scenario"] == scenario]
        spreads = [spread(r, key) for r in mine]
        values = [_finite(s.median) * scale for s in spreads]
        errors = [
            [(_finite(s.median) - _finite(s.low)) * scale for s in spreads],
            [(_finite(s.high) - _finite(s.median)) * scale for s in spreads],
        ]
        colours = [_colour(r["client"]) for r in mine]
        axis.bar(range(len(mine)), values, yerr=errors, capsize=3, color=colours)
        if scenario in ("b", "c"):
            for i, r in enumerate(mine):
                axis.hlines(r["ideal"], i - 0.4, i + 0.4, colors="black", linestyles="dashed")
        for i, r in enumerate(mine):
            failed = spread(r, "failed").median
            if failed:
                # A fast bar that dropped items is not a fast client: say so on the bar.
                axis.annotate(
                    f"{failed:,.0f} failed",
                    (i, values[i]),
                    ha="center",
                    va="bottom",
                    fontsize=8,
                    color="tab:red",
                )
        axis.set_xticks(range(len(mine)), [_short(r) for r in mine], rotation=60, ha="right")
        axis.tick_params(axis="x", labelsize=7)
        axis.set_title(TITLES[scenario], fontsize=10)
        axis.set_ylabel(label)
    figure.suptitle(
        f"aiocloudocr vs raw aiohttp vs official SDK (median, min-max of the rounds): "
        f"{machine['cpu']}, {machine['cores']} cores, {machine['python']}, {machine.get('date')}",
        fontsize=9,
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _finite(value: float) -> float:
    return 0.0 if math.isnan(value) else value


def _short(row: Row) -> str:
    if row["scenario"] == "d":
        return f"N={row['n']:,}"
    name = str(row["client"]).replace("aiocloudocr ", "aio ").replace(" threads", " thr")
    return name if row["client"].startswith("SDK") else f"{name} c={row['concurrency']}"


def _colour(client: str) -> str:
    if client.startswith("aiocloudocr"):
        return "tab:blue"
    if client == "ceiling":
        return "tab:green"
    return "tab:grey" if client == "raw" else "tab:orange"
