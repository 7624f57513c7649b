"""A faster look for dates, with EDS-NLP's own patterns and the same results.

EDS-NLP's date patterns (``edsnlp/pipes/misc/dates/patterns``) each begin with an optional
look-behind, ``(?<=(depuis|du|jusqu'au ...).{,3})?``, that only captures whether the date is a
bound; the regular-expression engine tries it at every character of the note, which makes the
``eds.dates`` pipe the slowest of the pipeline (benchmarks/nlp_speed.py). The look-behind is
optional and consumes nothing, so a pattern matches a text exactly where its *body* (the pattern
without that prefix) matches, and to the same end: ``PrefilteredRegexMatcher`` looks for the
body -- much cheaper -- and runs the full pattern, exactly as EDS-NLP does, only at the places
where the body was found. Matches, spans and captured groups are the same (checked on the benchmark's notes: 0
entities differ from the bare EDS-NLP pipeline).
"""

from __future__ import annotations

import re

import regex
from edsnlp.matchers.regex import RegexMatcher, create_span, span_from_match
from edsnlp.utils.doc_to_text import get_text

PREFIX = "(?<="
PREFIX_END = r".{,3})?"  # how EDS-NLP closes the optional look-behind of its date patterns


def body_of(pattern):
    """The pattern without its leading optional look-behind, compiled like it (None when it has
    none, or when the rest cannot stand alone)."""
    text = pattern.pattern
    if not isinstance(text, str) or not text.startswith(PREFIX) or PREFIX_END not in text:
        return None
    module = re if isinstance(pattern, re.Pattern) else regex
    try:
        return module.compile(text[text.index(PREFIX_END) + len(PREFIX_END):], pattern.flags)
    except (re.error, regex.error):
        return None


class PrefilteredRegexMatcher(RegexMatcher):
    """EDS-NLP's ``RegexMatcher`` that skips, text by text, the patterns whose body is absent."""

    def match(self, doclike):
        bodies = self.__dict__.setdefault("_bodies", {})
        for key, patterns, attr, ignore_excluded, ignore_space_tokens, alignment_mode in self.regex:
            text = get_text(doclike, attr, ignore_excluded, ignore_space_tokens)
            for pattern in patterns:
                if pattern.pattern not in bodies:
                    bodies[pattern.pattern] = body_of(pattern)
                body = bodies[pattern.pattern]
                for found in pattern.finditer(text) if body is None else _at_bodies(pattern, body, text):
                    start_char, end_char = span_from_match(match=found, span_from_group=self.span_from_group)
                    span = create_span(doclike=doclike, start_char=start_char, end_char=end_char, key=key, attr=attr,
                                       alignment_mode=alignment_mode, ignore_excluded=ignore_excluded, ignore_space_tokens=ignore_space_tokens)
                    if span is not None:
                        yield span, found

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_bodies", None)  # compiled again on first use
        return state


def _at_bodies(pattern, body, text: str):
    """``pattern.finditer(text)``, found where ``body`` matches: the full pattern matches exactly
    at the body's match starts (its optional look-behind consumes nothing and may look before
    ``pos``), to the same ends, so the non-overlapping runs of both are the same."""
    for where in body.finditer(text):
        found = pattern.match(text, where.start())
        if found is not None:
            yield found


def prefilter(dates_pipe) -> None:
    """Make an ``eds.dates`` pipe use the prefiltered matcher (in place)."""
    dates_pipe.regex_matcher.__class__ = PrefilteredRegexMatcher
