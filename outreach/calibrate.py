"""How often does the effect estimate claim an effect where there is none? Placebo events
(regencies and dates without any event) run through the very estimator the screen uses.

Two placements: at random (a regency and a start day drawn uniformly among those with a
full before window and a complete after window), and right after one of the
regency's own dips (a 7-day block in the bottom :data:`DIP_SHARE` of its weeks, measured
as its share of the nation's registrants, so the national launch rush and waves do not
count as dips): Pemda act after a bad month, which a naive before/after rewards. Placebos
last one day (14-day window) or four weeks (28-day window), half each. A placebo's regency
has no event, and is no neighbour of an event regency, within the placebo's windows.

The false effect rate of a placement is the share of its placebos whose primary measure
(all registrants: placebos are general events) reads "naik" or "turun". The latest result
is kept in the data directory for Tentang Data.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from geo.adjacency import neighbours
from outreach import effect
from outreach.events import Event

DIP_SHARE = 0.10
LENGTHS = (1, 28)
PLACEMENTS = ("random", "after_dip")
RESULT_FILE = "outreach-calibration.json"
VERDICT_COLUMNS = ("naik", "turun", "tidak_terlihat", "sudah_berbeda", "tidak_cukup")


@dataclass(frozen=True)
class Row:
    """One placement × measure: how many placebos, and how many read each verdict."""

    placement: str
    measure: str
    baseline_days: int
    placebos: int
    verdicts: dict[str, int]
    estimated: int
    """Placebos with an estimate (enough counts, comparisons and history)."""

    @property
    def false_rate(self) -> float:
        """Placebos read "naik" or "turun", of all placebos."""
        return self.false_effects / max(1, self.placebos)

    @property
    def false_effects(self) -> int:
        return sum(self.verdicts.get(v, 0) for v in effect.JUDGED)

    @property
    def rate_of_estimated(self) -> float:
        """Placebos read "naik" or "turun", of those with an estimate."""
        return self.false_effects / max(1, self.estimated)


@dataclass(frozen=True)
class Calibration:
    rows: list[Row]
    placebos: int
    seed: int
    ran_at: str

    def rate(self, placement: str, measure: str = "registrants") -> float:
        return next(
            row.false_rate
            for row in self.rows
            if row.placement == placement
            and row.measure == measure
            and row.baseline_days == effect.BASELINE_DAYS
        )

    @property
    def last_line(self) -> str:
        return (
            f"false_effect_rate random={self.rate('random'):.3f} "
            f"after_dip={self.rate('after_dip'):.3f}"
        )


def _span(matrix: pd.DataFrame) -> tuple[date, date]:
    return matrix.columns[0].date(), matrix.columns[-1].date()


def _starts(matrix: pd.DataFrame, length: int) -> tuple[date, date]:
    """First and last start day with a full before window and a complete after window."""
    first, last = _span(matrix)
    days = min(effect.MAX_DAYS, max(effect.MIN_DAYS, length))
    history = effect.BASELINE_DAYS + effect.GAP_DAYS
    return first + timedelta(days=history), last - timedelta(days=days - 1)


def _free(code: str, start: date, length: int, events: Sequence[Event]) -> bool:
    """No event in the regency or a neighbour near the placebo's windows."""
    near, _ = neighbours()
    days = min(effect.MAX_DAYS, max(effect.MIN_DAYS, length))
    busy = effect.busy_regencies(
        events,
        start - timedelta(days=effect.BASELINE_DAYS + effect.GAP_DAYS),
        start + timedelta(days=days),
    )
    return code not in busy and not (near.get(code, frozenset()) & busy)


def _placebo(code: str, start: date, length: int, number: int) -> Event:
    end = start + timedelta(days=length - 1)
    return Event(code, start, end, "sosialisasi", "umum", "placebo", id=number)


def random_placebos(
    matrix: pd.DataFrame, events: Sequence[Event], n: int, rng: np.random.Generator
) -> list[Event]:
    """``n`` placebos at random regencies and start days without events."""
    codes = matrix.index.to_numpy()
    found: list[Event] = []
    while len(found) < n:
        length = int(rng.choice(LENGTHS))
        first, last = _starts(matrix, length)
        start = first + timedelta(days=int(rng.integers(0, (last - first).days + 1)))
        code = str(rng.choice(codes))
        if _free(code, start, length, events):
            found.append(_placebo(code, start, length, len(found)))
    return found


def dip_weeks(matrix: pd.DataFrame) -> pd.DataFrame:
    """Per regency, the 7-day blocks (from the first day) in the bottom :data:`DIP_SHARE`
    of its share of the nation's registrants: code, the block's first day."""
    values = matrix.to_numpy()
    blocks = values.shape[1] // 7
    weekly = values[:, : blocks * 7].reshape(len(values), blocks, 7).sum(axis=2)
    share = weekly / np.maximum(weekly.sum(axis=0), 1)
    cutoff = np.quantile(share, DIP_SHARE, axis=1, keepdims=True)
    lived = weekly.sum(axis=1, keepdims=True) > 0
    rows, columns = np.nonzero((share <= cutoff) & lived)
    first = matrix.columns[0]
    return pd.DataFrame(
        {
            "code": matrix.index.to_numpy()[rows],
            "start": [(first + pd.Timedelta(days=7 * c)).date() for c in columns],
        }
    )


def after_dip_placebos(
    matrix: pd.DataFrame, events: Sequence[Event], n: int, rng: np.random.Generator
) -> list[Event]:
    """``n`` placebos starting the day after one of their regency's own dips."""
    dips = dip_weeks(matrix)
    found: list[Event] = []
    tries = 0
    while len(found) < n and tries < 100 * n:
        tries += 1
        length = int(rng.choice(LENGTHS))
        first, last = _starts(matrix, length)
        code, week = dips.iloc[int(rng.integers(0, len(dips)))]
        start = week + timedelta(days=7)
        if first <= start <= last and _free(code, start, length, events):
            found.append(_placebo(code, start, length, len(found)))
    return found


def tally(
    placement: str,
    measure: str,
    placebos: Sequence[Event],
    matrix: pd.DataFrame,
    events: Sequence[Event],
    baseline_days: int = effect.BASELINE_DAYS,
) -> Row:
    """Each placebo judged on ``measure`` as if it were its primary measure (a baseline
    other than 8 weeks is the old one: as long as the window, right before the event)."""
    gap = effect.GAP_DAYS if baseline_days == effect.BASELINE_DAYS else 0
    found = [
        effect.estimate(p, measure, matrix, events, True, baseline_days, gap) for p in placebos
    ]
    verdicts = [f.verdict for f in found]
    counts = {v: verdicts.count(v) for v in VERDICT_COLUMNS}
    estimated = sum(f.estimated for f in found)
    return Row(placement, measure, baseline_days, len(placebos), counts, estimated)


def calibrate(
    matrices: dict[str, pd.DataFrame], events: Sequence[Event], n: int, seed: int
) -> Calibration:
    """The table: every placement × measure with the 8-week baseline, and, for all
    registrants, a baseline as long as the after window (what the estimate used before) to
    show what the longer baseline buys."""
    rng = np.random.default_rng(seed)
    everyone = matrices["registrants"]
    placed = {
        "random": random_placebos(everyone, events, n, rng),
        "after_dip": after_dip_placebos(everyone, events, n, rng),
    }
    rows = [
        tally(placement, measure, placebos, matrix, events)
        for placement, placebos in placed.items()
        for measure, matrix in matrices.items()
    ]
    for placement, placebos in placed.items():  # the old, window-long baseline
        by_length = {length: [p for p in placebos if _length(p) == length] for length in LENGTHS}
        short = [
            tally(placement, "registrants", group, everyone, events, _window(length))
            for length, group in by_length.items()
        ]
        rows.append(_merged(short))
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return Calibration(rows, n, seed, now)


def _length(event: Event) -> int:
    return (event.end_date - event.start_date).days + 1


def _window(length: int) -> int:
    return min(effect.MAX_DAYS, max(effect.MIN_DAYS, length))


def _merged(rows: list[Row]) -> Row:
    """Rows of one placement and measure with different baselines as one (baseline 0:
    "as long as the window")."""
    verdicts = {v: sum(row.verdicts[v] for row in rows) for v in VERDICT_COLUMNS}
    placebos, estimated = sum(r.placebos for r in rows), sum(r.estimated for r in rows)
    return Row(rows[0].placement, rows[0].measure, 0, placebos, verdicts, estimated)


def table(result: Calibration) -> str:
    """The printed table: one line per placement × measure × baseline."""
    header = ["placement", "measure", "before", "n", "estimated", *VERDICT_COLUMNS]
    header += ["false_rate", "of_estimated"]
    lines = [header]
    for row in result.rows:
        baseline = f"{row.baseline_days} days" if row.baseline_days else "= window"
        counts = [str(row.verdicts[v]) for v in VERDICT_COLUMNS]
        rates = [f"{row.false_rate:.3f}", f"{row.rate_of_estimated:.3f}"]
        size = [str(row.placebos), str(row.estimated)]
        lines.append([row.placement, row.measure, baseline, *size, *counts, *rates])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines
    )


def save(result: Calibration, directory: Path) -> Path:
    path = directory / RESULT_FILE
    data = {**asdict(result), "last_line": result.last_line}
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    return path


def latest(directory: Path) -> dict | None:
    """The latest saved calibration (as saved), or None when none was run, or it is
    unreadable or from an older format."""
    try:
        saved = json.loads((directory / RESULT_FILE).read_text(encoding="utf-8"))
        checked = Calibration([Row(**row) for row in saved["rows"]], *_header(saved))
        saved["last_line"] = checked.last_line
    except (OSError, ValueError, KeyError, TypeError, StopIteration):
        return None
    return saved


def _header(saved: dict) -> tuple[int, int, str]:
    return saved["placebos"], saved["seed"], saved["ran_at"]
