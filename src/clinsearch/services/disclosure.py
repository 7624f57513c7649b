"""Statistical disclosure control: the counts a researcher sees, such that no small count can be
read or recomputed from the others (docs/security.md, "Small counts").

The rules, as i2b2 and OHDSI apply them, in one place:

1. a count under the threshold (``config.min_count()``, default 10) is shown as ``"<10"``; zero
   stays 0 (an empty result discloses no one);
2. every other count is **rounded to the nearest multiple of 5**, so that differences of
   complementary cells (a total minus its parts, an attrition step's remaining minus the next
   one's, a cohort minus an exclusion) never give a small count exactly;
3. percentages are computed from the rounded counts;
4. no member list, document list or export below the threshold;
5. warnings and derived measures that would quote a small count are withheld.

>>> [shown(n) for n in (None, 0, 3, 9, 10, 12, 13, 498, 500)]
[None, 0, '<10', '<10', 10, 10, 15, 500, 500]
>>> small(7), small(0), small(11)
(True, False, False)
"""

from __future__ import annotations

import re

from clinsearch.config import min_count

ROUND_TO = 5


def threshold() -> int:
    return min_count()


def small(count: int | None) -> bool:
    """A count that must not be shown (at least one, under the threshold)."""
    return count is not None and 0 < count < threshold()


def shown(count: int | None) -> int | str | None:
    """A count as a researcher sees it (rules 1 and 2)."""
    if count is None or count == 0:
        return count
    if small(count):
        return f"<{threshold()}"
    return max(threshold(), ROUND_TO * round(count / ROUND_TO))


def quotes_small_count(text: str) -> bool:
    """Whether a message quotes a count under the threshold (rule 5)."""
    return any(small(int(n)) for n in re.findall(r"(?<![\d.,])\d+(?![\d.,]\d)", text))


def withheld_warnings(warnings: list[str]) -> list[str]:
    """The warnings a researcher may read: those quoting a small count replaced by one line."""
    kept = [w for w in warnings if not quotes_small_count(w)]
    if len(kept) < len(warnings):
        kept.append(f"{len(warnings) - len(kept)} warning(s) withheld: they quote counts under {threshold()}")
    return kept
