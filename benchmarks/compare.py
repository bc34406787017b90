"""``python -m benchmarks --compare REV``: the working tree against a git revision, side by side.

The revision is checked out with ``git worktree add`` into a temporary folder (removed
afterwards). Each side runs in worker processes whose ``PYTHONPATH`` is a folder holding
just two links: ``aiocloudocr`` to that side's package and ``benchmarks`` to this one, so
both sides are measured by the same benchmark code against the same emulator (the working
tree's), and only the library differs. Rounds interleave the sides and the clients, and every
ratio (working tree / revision) is taken between runs of the same round.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from benchmarks.rounds import Launcher, Run, describe, log, measure, rotated
from benchmarks.scenarios import Sizes
from benchmarks.server import emulator_process
from benchmarks.stats import Spread, ratios
from benchmarks.worker import Job, launch

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
COMPARABLE = ("a", "b")
"""Scenarios compare mode runs: CPU per request (a) and makespan under latency (b)."""
FIGURES = (("cpu_ms_per_request", "CPU ms/req", 3), ("wall", "Makespan s", 2))


def git(*args: str, repo: Path = REPO) -> str:
    """The output of a git command run in ``repo``."""
    done = subprocess.run(  # noqa: S603 (fixed argv)
        ["git", *args],  # noqa: S607 (git from PATH, as a developer runs it)
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def resolve(revision: str, repo: Path = REPO) -> str:
    """The full commit id of ``revision``; ValueError if git does not know it."""
    try:
        return git("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}", repo=repo)
    except subprocess.CalledProcessError:
        raise ValueError(f"not a commit in {repo}: {revision!r}") from None


@contextlib.contextmanager
def worktree(commit: str, repo: Path = REPO) -> Iterator[Path]:
    """``commit`` checked out (detached) in a temporary folder for the ``with`` block."""
    folder = Path(tempfile.mkdtemp(prefix="aiocloudocr-compare-"))
    checkout = folder / "revision"
    git("worktree", "add", "--detach", "--quiet", str(checkout), commit, repo=repo)
    try:
        yield checkout
    finally:
        git("worktree", "remove", "--force", str(checkout), repo=repo)
        shutil.rmtree(folder, ignore_errors=True)


def side(folder: Path, package: Path) -> Launcher:
    """A launcher whose workers import ``aiocloudocr`` from ``package`` (links in ``folder``)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "aiocloudocr").symlink_to(package, target_is_directory=True)
    (folder / "benchmarks").symlink_to(HERE, target_is_directory=True)
    env = {**os.environ, "PYTHONPATH": str(folder)}
    return lambda job, url: launch(job, url, cwd=folder, env=env)


def jobs(sizes: Sizes, scenarios: Sequence[str]) -> list[tuple[str, Job]]:
    """The aiocloudocr clients each side runs: gather and map, per scenario."""
    out = []
    for kind in ("gather", "map"):
        if "a" in scenarios:
            job = Job(kind=kind, n=sizes.a_n, large=True, concurrency=sizes.a_concurrency)
            out.append(("a", job))
        if "b" in scenarios:
            c, n = sizes.b_groups[0]
            out.append(("b", Job(kind=kind, n=n, large=False, concurrency=c)))
    return out


def compare_rows(
    work: Sequence[tuple[str, Job]],
    runs: Sequence[tuple[list[Run], list[Run]]],
    labels: Sequence[str],
) -> list[dict[str, Any]]:
    """Per scenario and client: each side's figures and the paired ratios (tree / revision)."""
    rows = []
    for (scenario, job), (tree_runs, rev_runs) in zip(work, runs, strict=True):
        row: dict[str, Any] = {
            "scenario": scenario,
            "client": tree_runs[0]["client"],
            "concurrency": job.concurrency,
            "n": job.n,
            "runs": {labels[0]: tree_runs, labels[1]: rev_runs},
        }
        for key, _, _ in FIGURES:
            mine = [float(r[key]) for r in tree_runs]
            theirs = [float(r[key]) for r in rev_runs]
            row[key] = {
                labels[0]: Spread.of(mine).as_dict(),
                labels[1]: Spread.of(theirs).as_dict(),
                "ratio": Spread.of(ratios(mine, theirs)).as_dict(),
            }
        rows.append(row)
    return rows


def table(rows: Sequence[dict[str, Any]], labels: Sequence[str]) -> str:
    """The comparison as a Markdown table."""
    header = ["Scenario", "Client", "Conc.", "N"]
    for _, name, _ in FIGURES:
        header += [f"{name}, {labels[0]}", f"{name}, {labels[1]}", f"{name} ratio"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        cells = [f"({row['scenario']})", row["client"], str(row["concurrency"]), f"{row['n']:,}"]
        for key, _, digits in FIGURES:
            figure = row[key]
            cells += [
                _spread(figure[labels[0]]).text(digits),
                _spread(figure[labels[1]]).text(digits),
                _spread(figure["ratio"]).text(3, suffix="x"),
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _spread(data: dict[str, Any]) -> Spread:
    return Spread(median=data["median"], low=data["low"], high=data["high"], rounds=data["rounds"])


@attrs.frozen(kw_only=True)
class Comparison:
    """What a compare run produced."""

    labels: tuple[str, str]
    imported: dict[str, list[str]]
    rows: list[dict[str, Any]]
    table: str
    emulator_checks: list[dict[str, Any]]


def run(revision: str, sizes: Sizes, scenarios: Sequence[str]) -> Comparison:
    """Run both sides in interleaved rounds and compare them."""
    commit = resolve(revision)
    head = git("rev-parse", "--short", "HEAD")
    changed = len(git("status", "--porcelain", "--untracked-files=no").splitlines())
    labels = (f"tree ({head}+{changed} changed)" if changed else f"tree ({head})", revision)
    work = jobs(sizes, scenarios)
    runs: list[tuple[list[Run], list[Run]]] = [([], []) for _ in work]
    imported: dict[str, set[str]] = {labels[0]: set(), labels[1]: set()}
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="aiocloudocr-sides-")))
        checkout = stack.enter_context(worktree(commit))
        launchers = (
            side(tmp / "tree", REPO / "aiocloudocr"),
            side(tmp / "revision", checkout / "aiocloudocr"),
        )
        latency = {"a": (), "b": ("--latency", str(sizes.b_latency))}
        emulators = {
            name: stack.enter_context(emulator_process(*latency[name]))
            for name in sorted(set(scenarios))
        }
        for round_ in range(sizes.rounds):
            for i in rotated(len(work), round_):
                scenario, job = work[i]
                # A job's two sides run back to back, the revision first in odd rounds.
                for s in (0, 1) if round_ % 2 == 0 else (1, 0):
                    result = measure(emulators[scenario], job, launcher=launchers[s])
                    result["round"] = round_
                    runs[i][s].append(result)
                    imported[labels[s]].add(result["aiocloudocr"])
                    log(f"  [{labels[s]}] " + describe(result, round_).lstrip())
        checks = [emulator.pinning() for emulator in emulators.values()]
    rows = compare_rows(work, runs, labels)
    return Comparison(
        labels=labels,
        imported={k: sorted(v) for k, v in imported.items()},
        rows=rows,
        table=table(rows, labels),
        emulator_checks=checks,
    )
