"""Medians, spreads, paired ratios and verdicts over rounds: pure functions, no I/O."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

import attrs


@attrs.frozen(kw_only=True)
class Spread:
    """The median of one figure over its rounds, with the lowest and highest round."""

    median: float
    low: float
    high: float
    rounds: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        """The spread of ``values``, NaN (a round without the figure) left out."""
        kept = [v for v in values if not math.isnan(v)]
        if not kept:
            return cls(median=math.nan, low=math.nan, high=math.nan, rounds=0)
        return cls(median=statistics.median(kept), low=min(kept), high=max(kept), rounds=len(kept))

    def text(self, digits: int = 2, *, scale: float = 1.0, suffix: str = "") -> str:
        """``median (low-high)`` with ``digits`` decimals; just the median for one round."""
        if self.rounds == 0:
            return "-"

        def one(value: float) -> str:
            return f"{value * scale:,.{digits}f}"

        if self.rounds == 1:
            return one(self.median) + suffix
        return f"{one(self.median)}{suffix} ({one(self.low)}-{one(self.high)})"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data (NaN becomes None)."""

        def clean(value: float) -> float | None:
            return None if math.isnan(value) else round(value, 6)

        return {
            "median": clean(self.median),
            "low": clean(self.low),
            "high": clean(self.high),
            "rounds": self.rounds,
        }


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """Round-by-round ratios of two paired series (NaN where a denominator is 0 or missing)."""
    out = []
    for i, top in enumerate(numerators):
        bottom = denominators[i] if i < len(denominators) else math.nan
        out.append(top / bottom if bottom and not math.isnan(bottom) else math.nan)
    return out


@attrs.frozen(kw_only=True)
class Verdict:
    """A target judged on the median of its rounds; how many single rounds met it, too."""

    scenario: str
    client: str
    target: str
    value: Spread
    limit: float
    at_most: bool
    rounds_met: int
    # The row's concurrency where a scenario runs one client at several.
    concurrency: int | None = None
    # Decimals shown: 0 for counts.
    digits: int = 2

    @property
    def met(self) -> bool:
        """Whether the median meets the target."""
        return _meets(self.value.median, self.limit, self.at_most)

    def text(self) -> str:
        """``target: median (low-high) met|MISSED, k/n rounds``."""
        verdict = "met" if self.met else "MISSED"
        rounds = f", {self.rounds_met}/{self.value.rounds} rounds" if self.value.rounds > 1 else ""
        return f"{self.target}: {self.value.text(self.digits)} {verdict}{rounds}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "scenario": self.scenario,
            "client": self.client,
            "target": self.target,
            "value": self.value.as_dict(),
            "limit": self.limit,
            "at_most": self.at_most,
            "met": self.met,
            "rounds_met": self.rounds_met,
            "concurrency": self.concurrency,
        }


def _meets(value: float, limit: float, at_most: bool) -> bool:
    if math.isnan(value):
        return False
    return value <= limit if at_most else value >= limit


def verdict(
    scenario: str,
    client: str,
    target: str,
    values: Sequence[float],
    limit: float,
    *,
    at_most: bool = True,
    concurrency: int | None = None,
    digits: int = 2,
) -> Verdict:
    """Judge ``values`` (one per round) against ``limit``: at most, or at least with ``at_most``
    false."""
    return Verdict(
        scenario=scenario,
        client=client,
        target=target,
        value=Spread.of(values),
        limit=limit,
        at_most=at_most,
        rounds_met=sum(_meets(v, limit, at_most) for v in values),
        concurrency=concurrency,
        digits=digits,
    )
