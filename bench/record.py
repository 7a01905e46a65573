"""The rows `make bench` prints for the served goals: each a value, the baseline it is
compared with in the same run, and the goal it must meet."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    value: float
    unit: str  # "req/s", "ms", "KB", "round trips"
    baseline: float | None = None  # the same quantity for the baseline, in this run
    baseline_label: str = ""
    goal: str = ""  # e.g. ">= 0.9 x raw"
    met: bool | None = None  # None: no goal, recorded only

    @property
    def ratio(self) -> float | None:
        return None if not self.baseline else self.value / self.baseline


def ratio_row(
    label: str,
    value: float,
    unit: str,
    baseline: float,
    baseline_label: str,
    goal: str,
    meets: Callable[[float], bool],
) -> Row:
    """A row whose goal is on the ratio to its baseline."""
    ratio = value / baseline if baseline else 0.0
    return Row(label, value, unit, baseline, baseline_label, goal, meets(ratio))


def table(rows: Sequence[Row]) -> str:
    """Markdown, so the README can show a run as it was printed."""
    lines = [
        "| row | value | baseline | ratio | goal | met |",
        "| --- | ---: | --- | ---: | --- | --- |",
    ]
    for row in rows:
        baseline = f"{row.baseline:,.1f} {row.unit} ({row.baseline_label})" if row.baseline else ""
        ratio = f"{row.ratio:.2f}" if row.ratio is not None else ""
        met = {True: "yes", False: "**no**", None: ""}[row.met]
        lines.append(
            f"| {row.label} | {row.value:,.1f} {row.unit} | {baseline} | {ratio} "
            f"| {row.goal} | {met} |"
        )
    return "\n".join(lines)
