"""The benchmark suite's pure pieces: spreads, paired ratios, verdicts, the emulator-side
timing, the tables and the command line (no server, no subprocess)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from benchmarks import affinity, report
from benchmarks.__main__ import parse_args, sizes_for
from benchmarks.observer import Sample, parse, server_view
from benchmarks.rounds import make_row, rotated, series, set_ratio, spread, summarise
from benchmarks.stats import Spread, ratios, verdict
from benchmarks.worker import Job


def test_spread_is_median_and_range() -> None:
    """Median, lowest and highest round; NaN rounds are left out."""
    s = Spread.of([3.0, 1.0, math.nan, 2.0, 10.0])
    assert (s.median, s.low, s.high, s.rounds) == (2.5, 1.0, 10.0, 4)


def test_spread_text() -> None:
    """``median (low-high)``; one round shows just the median; no round shows a dash."""
    assert Spread.of([1.0, 2.0, 4.0]).text(1, suffix="x") == "2.0x (1.0-4.0)"
    assert Spread.of([0.5]).text(0, scale=100, suffix="%") == "50%"
    assert Spread.of([1500.0, 1000.0, 2000.0]).text(0) == "1,500 (1,000-2,000)"
    assert Spread.of([]).text() == "-"


def test_spread_as_dict_turns_nan_into_none() -> None:
    """An empty spread is JSON-ready (None, not NaN)."""
    assert Spread.of([]).as_dict() == {"median": None, "low": None, "high": None, "rounds": 0}


def test_ratios_pair_rounds() -> None:
    """Ratios are taken round by round; a zero or missing denominator gives NaN."""
    out = ratios([2.0, 3.0, 4.0], [1.0, 0.0])
    assert out[0] == 2.0 and math.isnan(out[1]) and math.isnan(out[2])


def test_paired_median_differs_from_ratio_of_medians() -> None:
    """The median of paired ratios, not the ratio of medians, is what a row reports."""
    mine, raw = [1.0, 2.0, 3.0], [1.0, 1.0, 3.0]
    assert Spread.of(ratios(mine, raw)).median == 1.0
    assert Spread.of(mine).median / Spread.of(raw).median == 2.0


def test_verdict_at_most_on_the_median() -> None:
    """A target is judged on the median; the rounds that met it are counted too."""
    v = verdict("a", "aiocloudocr map", "CPU/req <= 1.10x raw", [1.05, 1.2, 1.08], 1.10)
    assert v.met and v.rounds_met == 2
    assert v.text() == "CPU/req <= 1.10x raw: 1.08 (1.05-1.20) met, 2/3 rounds"


def test_verdict_at_least_and_missing() -> None:
    """``at_most=False`` is a floor; a verdict with no value is never met."""
    assert not verdict("b", "x", "req/s >= 3x", [2.0, 4.0, 2.5], 3.0, at_most=False).met
    assert not verdict("b", "x", "anything", [], 3.0).met


def test_rotated_starts_one_later_each_round() -> None:
    """Each round starts with the next contender and still runs all of them."""
    assert rotated(3, 0) == [0, 1, 2]
    assert rotated(3, 1) == [1, 2, 0]
    assert rotated(3, 5) == [2, 0, 1]
    assert rotated(0, 2) == []


def _run(round_: int, **figures: Any) -> dict[str, Any]:
    return {"client": "raw", "concurrency": 64, "n": 100, "round": round_, **figures}


def test_rows_summarise_and_pair_by_round() -> None:
    """set_ratio pairs runs of the same round even when they were stored out of order."""
    raw = make_row("a", [_run(1, cpu_ms_per_request=2.0), _run(0, cpu_ms_per_request=1.0)])
    mine = make_row("a", [_run(0, cpu_ms_per_request=1.5), _run(1, cpu_ms_per_request=2.0)])
    set_ratio(mine, "vs_raw", "cpu_ms_per_request", raw)
    assert series(mine, "vs_raw") == [1.5, 1.0]
    summarise(mine)
    assert spread(mine, "vs_raw") == Spread(median=1.25, low=1.0, high=1.5, rounds=2)
    assert spread(mine, "peak_rss").rounds == 0


def test_report_table_cells() -> None:
    """A scenario table shows medians with their ranges, and the row's verdicts."""
    row = make_row(
        "a",
        [
            _run(r, failed=0, requests_per_s=v, cpu_ms_per_request=v / 100, gc_share=0.02)
            for r, v in enumerate((100.0, 300.0, 200.0))
        ],
    )
    row["client"] = "aiocloudocr map"
    summarise(row)
    v = verdict("a", "aiocloudocr map", "CPU/req <= 1.10x raw", [1.0, 1.0, 1.0], 1.1)
    lines = report.table("a", [row], [v])
    assert lines[0].startswith("| Client | Conc. | N | Failed | Req/s |")
    assert "| 200 (100-300) |" in lines[2]
    assert "| 2.0% (2.0-2.0) |" in lines[2]
    assert lines[2].endswith("CPU/req <= 1.10x raw: 1.00 (1.00-1.00) met, 3/3 rounds |")


def test_observer_lines_parse_and_skip_a_partial_one() -> None:
    """Complete lines become samples; a last line still being written is skipped."""
    assert parse("1.0 0 0 0.5\n1.02 8 8 0.51\n1.04 9") == [
        Sample(1.0, 0, 0, 0.5),
        Sample(1.02, 8, 8, 0.51),
    ]


def test_server_view_times_a_run_from_the_emulator_counters() -> None:
    """First arrival to last answer, each placed midway between the samples around it."""
    samples = [
        Sample(0.00, 8, 8, 1.0),  # the warm-up's 8 requests, answered
        Sample(0.02, 8, 8, 1.0),
        Sample(0.04, 72, 8, 1.1),  # the run began between 0.02 and 0.04
        Sample(1.00, 100, 90, 1.5),
        Sample(1.02, 108, 100, 1.6),
        Sample(1.04, 108, 108, 1.6),  # its last answer came between 1.02 and 1.04
    ]
    view = server_view(samples, since=0.0, base=8, n=100, started=0.03, wall=1.0)
    assert view["emulator_makespan"] == pytest.approx(1.03 - 0.03)
    assert view["emulator_rps"] == pytest.approx(100.0)
    # CPU read at 0.03 (1.05 interpolated) and 1.03 (1.6): 0.55 s over 1 s.
    assert view["emulator_busy"] == pytest.approx(0.55)


def test_server_view_without_the_end() -> None:
    """A run whose last answer was not sampled has no emulator-side figures."""
    samples = [Sample(0.0, 0, 0, 0.0), Sample(0.02, 50, 10, 0.1)]
    view = server_view(samples, since=0.0, base=0, n=100, started=0.0, wall=5.0)
    assert view == {"emulator_makespan": None, "emulator_rps": None, "emulator_busy": None}


def test_job_survives_the_command_line() -> None:
    """A job goes to the worker as JSON and comes back equal (the quota pair a tuple)."""
    job = Job(kind="map", n=10, large=False, concurrency=4, warmup=0, rate_limit=(50, 1.0))
    assert Job.from_json(job.to_json()) == job
    with pytest.raises(ValueError, match="kind"):
        Job(kind="curl", n=1, large=False, concurrency=1)


def test_pinning_summary() -> None:
    """The pinning sentence says whether every checked thread kept its CPU."""
    good_server = {"threads": 2, "allowed": ["0"], "last_cpus": [0]}
    good_client = {"threads": 9, "allowed": ["1"], "last_cpus": [1]}
    assert "allowed only CPU 1 (9 threads" in affinity.summary([good_server], [good_client])
    bad = {"threads": 9, "allowed": ["0-1"], "last_cpus": [0, 1]}
    assert "NOT as intended" in affinity.summary([good_server], [bad])
    assert "not applied" in affinity.summary([], [])


def test_args_default_to_every_scenario() -> None:
    """Without options all four scenarios run, 3 rounds; --quick shrinks N and rounds."""
    args = parse_args([])
    assert args.scenarios == ["a", "b", "c", "d"] and args.compare is None
    assert sizes_for(args).rounds == 3
    quick = sizes_for(parse_args(["--quick"]))
    assert quick.rounds == 2 and quick.a_n < 500
    assert sizes_for(parse_args(["--quick", "--rounds", "5"])).rounds == 5


def test_compare_defaults_to_a_and_b() -> None:
    """--compare REV runs scenarios a and b unless told a subset of them."""
    assert parse_args(["--compare", "HEAD~1"]).scenarios == ["a", "b"]
    assert parse_args(["--compare", "v0.1", "--scenario", "b"]).scenarios == ["b"]


@pytest.mark.parametrize(
    "argv",
    [
        ["--compare", "HEAD", "--scenario", "a,c"],
        ["--compare", " "],
        ["--scenario", "a,z"],
        ["--scenario", ","],
        ["--rounds", "0"],
    ],
)
def test_bad_arguments_are_refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Scenarios compare mode cannot run, unknown ones, no revision or no rounds: exit 2."""
    with pytest.raises(SystemExit) as exit_:
        parse_args(argv)
    assert exit_.value.code == 2
    assert "error:" in capsys.readouterr().err
