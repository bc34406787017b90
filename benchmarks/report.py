"""The results as one Markdown table, a JSON document and a PNG chart."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

TITLES = {
    "a": "(a) 0 ms, 100 KB",
    "b": "(b) 100 ms, small",
    "c": "(c) rate-limited",
    "d": "(d) map from disk",
}
HEADER = (
    "Scenario",
    "Client",
    "Conc.",
    "N",
    "OK",
    "Failed",
    "Makespan s",
    "Req/s",
    "CPU ms/req",
    "Emulator busy",
    "Ratio",
    "Target",
)


def _ratio_text(row: dict[str, Any]) -> str:
    text = f"{row['ratio']:.2f}x ({row['ratio_basis']})"
    if row["scenario"] == "c":
        text += f"; throttled {row['throttled']}/{row['sent']} = {row['throttled_fraction']:.1%}"
    if row["scenario"] == "d":
        text = f"peak RSS {row['peak_rss'] / 2**20:.1f} MB; " + text
    return text


def _target_text(row: dict[str, Any], targets: Sequence[dict[str, Any]]) -> str:
    if row.get("is_base"):
        return "baseline"
    mine = [t for t in targets if t["scenario"] == row["scenario"] and t["client"] == row["client"]]
    if row["scenario"] == "b":
        # Each concurrency's row shows its own verdicts.
        mine = [
            t
            for t in mine
            if t["target"].endswith(f"at {row['concurrency']}")
            or (row["concurrency"] == 256 and "SDK's best" in t["target"])
        ]
    return "; ".join(
        f"{t['target']}: {t['value']:.3g} {'met' if t['met'] else 'MISSED'}" for t in mine
    )


def markdown(
    machine: dict[str, Any], rows: Sequence[dict[str, Any]], targets: Sequence[dict[str, Any]]
) -> str:
    """The results table, headed by the machine it ran on."""
    lines = [
        f"**Machine:** {machine['cpu']}, {machine['cores']} cores, {machine['os']}, "
        f"{machine['python']}; emulator pinned to CPU {machine.get('emulator_cpu', '-')}, "
        f"clients to CPU {machine.get('client_cpus', '-')}",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join("---" for _ in HEADER) + "|",
    ]
    for row in rows:
        cpu = row.get("cpu_ms_per_request")
        cells = (
            TITLES[row["scenario"]],
            row["client"],
            str(row["concurrency"]),
            f"{row['n']:,}",
            f"{row['ok']:,}",
            f"{row['failed']:,}",
            f"{row['wall']:.2f}",
            f"{row['requests_per_s']:.0f}",
            "-" if cpu is None else f"{cpu:.3f}",
            f"{row['emulator_busy']:.0%}" if "emulator_busy" in row else "-",
            _ratio_text(row),
            _target_text(row, targets),
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_json(path: Path, document: dict[str, Any]) -> None:
    """Write the whole result document."""
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def plot(path: Path, rows: Sequence[dict[str, Any]], machine: dict[str, Any]) -> None:
    """One panel per scenario that ran, saved as a PNG (Agg backend, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        ("a", "cpu_ms_per_request", "client CPU ms / request"),
        ("b", "wall", "makespan, s (dashed: ideal)"),
        ("c", "wall", "makespan, s (dashed: N/limit)"),
        ("d", "peak_rss", "peak RSS, MB"),
    ]
    present = [p for p in panels if any(r["scenario"] == p[0] for r in rows)]
    if not present:
        return
    columns = min(2, len(present))
    lines = (len(present) + 1) // 2
    figure, axes = plt.subplots(lines, columns, figsize=(7 * columns, 5 * lines), squeeze=False)
    for axis in axes.flat[len(present) :]:
        axis.set_visible(False)
    for axis, (scenario, key, label) in zip(axes.flat, present, strict=False):
        mine = [r for r in rows if r["scenario"] == scenario]
        names = [_short(r) for r in mine]
        values = [r[key] / 2**20 if key == "peak_rss" else r[key] for r in mine]
        colours = [_colour(r["client"]) for r in mine]
        axis.bar(range(len(mine)), values, color=colours)
        if scenario in ("b", "c"):
            for i, r in enumerate(mine):
                axis.hlines(r["ideal"], i - 0.4, i + 0.4, colors="black", linestyles="dashed")
        for i, r in enumerate(mine):
            if r["failed"]:
                # A fast bar that dropped items is not a fast client: say so on the bar.
                axis.annotate(
                    f"{r['failed']:,} failed",
                    (i, values[i]),
                    ha="center",
                    va="bottom",
                    fontsize=8,
                    color="tab:red",
                )
        axis.set_xticks(range(len(mine)), names, rotation=60, ha="right", fontsize=8)
        axis.set_title(TITLES[scenario])
        axis.set_ylabel(label)
        if scenario == "b":
            axis.set_yscale("log")
    figure.suptitle(
        f"aiocloudocr vs raw aiohttp vs official SDK — {machine['cpu']}, "
        f"{machine['cores']} cores, {machine['python']}",
        fontsize=10,
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _short(row: dict[str, Any]) -> str:
    if row["scenario"] == "d":
        return f"N={row['n']:,}"
    name = str(row["client"]).replace("aiocloudocr ", "aio ").replace(" threads", " thr")
    return name if row["client"].startswith("SDK") else f"{name} c={row['concurrency']}"


def _colour(client: str) -> str:
    if client.startswith("aiocloudocr"):
        return "tab:blue"
    return "tab:grey" if client == "raw" else "tab:orange"
