"""Choosing among overlapping spans: the one rule the annotator and the pseudonymiser share.

>>> non_overlapping([(0, 4, "a"), (2, 9, "b"), (9, 12, "c"), (10, 11, "d")])
[(2, 9, 'b'), (9, 12, 'c')]
"""

from __future__ import annotations

from typing import Callable, TypeVar

S = TypeVar("S")


def _bounds(span) -> tuple[int, int]:
    return span[0], span[1]


def non_overlapping(spans: list[S], bounds: Callable[[S], tuple[int, int]] = _bounds) -> list[S]:
    """One span per overlapping run, the longer winning (the earlier given, between two as long);
    in text order, in linear time after sorting. ``bounds`` gives a span's (start, end): by default
    its first two items, as in ``(start, end, kind)``."""
    chosen: list = []
    last_start = last_end = 0
    for span in sorted(spans, key=lambda s: (bounds(s)[0], bounds(s)[0] - bounds(s)[1])):
        start, end = bounds(span)
        if chosen and start < last_end:
            if end - start > last_end - last_start:
                chosen[-1], last_start, last_end = span, start, end  # it starts after the one before the last ended
            continue
        chosen.append(span)
        last_start, last_end = start, end
    return chosen
