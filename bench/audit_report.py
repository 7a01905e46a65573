"""The audit's table: one row per hostile request, saying what it got, never judging it.

The same rows are printed before and after a fix, so the closing note can put the two
columns side by side.
"""

import textwrap
import traceback
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

OUTCOME_WIDTH = 72


@dataclass(frozen=True, slots=True)
class Row:
    item: str  # the item number, with a letter per request ("5a")
    attack: str
    outcome: str
    ms: float | None = None
    size: int | None = None  # bytes of the answer (or of the request, where that is the attack)


class ProbeFailed(Exception):
    """The audit could not even arrange the attack; the message says why."""


Probe = Callable[[], Awaitable[list[Row]]]


async def guarded(item: str, attack: str, probe: Probe) -> list[Row]:
    """A probe that breaks reports why in its row instead of ending the audit."""
    try:
        return await probe()
    except ProbeFailed as error:
        return [Row(item, attack, f"not run: {error}")]
    except Exception as error:
        where = traceback.extract_tb(error.__traceback__)[-1]
        return [
            Row(
                item,
                attack,
                f"audit error: {type(error).__name__}: {error} "
                f"({where.filename.rsplit('/', 1)[-1]}:{where.lineno})",
            )
        ]


def tally(codes: Iterable[str]) -> str:
    """`5 INVALID_CREDENTIALS, 1 TOO_MANY_ATTEMPTS`, in order of first appearance."""
    counts = Counter(codes)
    return ", ".join(f"{count} {code}" for code, count in counts.items()) or "nothing"


def table(rows: list[Row]) -> str:
    attack_width = max(len(row.attack) for row in rows)
    header = (
        f"{'#':<4} {'attack':<{attack_width}}  {'outcome':<{OUTCOME_WIDTH}} {'ms':>8} {'bytes':>10}"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        outcome = textwrap.wrap(row.outcome, OUTCOME_WIDTH) or [""]
        ms = f"{row.ms:,.0f}" if row.ms is not None else "-"
        size = f"{row.size:,}" if row.size is not None else "-"
        lines.append(
            f"{row.item:<4} {row.attack:<{attack_width}}  {outcome[0]:<{OUTCOME_WIDTH}} "
            f"{ms:>8} {size:>10}"
        )
        lines.extend(f"{'':<4} {'':<{attack_width}}  {more}" for more in outcome[1:])
    return "\n".join(lines)
