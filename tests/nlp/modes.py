"""The speed-ups on or off for a block, whatever ``CLINSEARCH_NLP_SPEEDUPS`` says: the tests that
compare a speed-up with EDS-NLP's own code do so in both modes of the suite."""

from __future__ import annotations

from contextlib import contextmanager

from clinsearch.nlp import speedups
from clinsearch.nlp.pipeline import speedups_on


@contextmanager
def speedups_applied(nlp):
    """``nlp`` with the speed-ups in place for the block: when the pipeline loader did not apply
    them (switch off), they are applied to it, and removed again after."""
    if speedups_on():
        yield nlp  # the loader applied them, and they stay
        return
    speedups.apply(nlp)
    try:
        yield nlp
    finally:
        speedups.remove(nlp)


@contextmanager
def global_speedups(on: bool):
    """The global speed-ups (the matchers' text, the phrase matchers' pickling) in place or not
    for the block, and as they were after."""
    was = speedups.installed()
    _set(on)
    try:
        yield
    finally:
        _set(was)


def _set(on: bool) -> None:
    if on:
        speedups.apply()
    else:
        speedups.remove()
