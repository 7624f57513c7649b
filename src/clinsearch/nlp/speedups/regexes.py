# Contains code adapted from EDS-NLP 0.23 (https://github.com/aphp/edsnlp): the loop of
# ``GuardedRegexMatcher.match`` follows ``RegexMatcher.match`` (edsnlp/matchers/regex.py).
# Copyright 2021 Assistance Publique - Hôpitaux de Paris (AP-HP); BSD 3-Clause licence, whose
# text is in LICENSE-EDSNLP next to this file.
"""EDS-NLP's regular expressions, found faster, with the same matches.

EDS-NLP's pipes look for their regular expressions (``edsnlp.matchers.regex.RegexMatcher``) with
the ``regex`` module, a backtracking engine that tries each pattern at every character of the
note -- the dates pipe alone tries 22 patterns of up to 1,700 characters on every note, and most of
them never match. ``GuardedRegexMatcher`` is EDS-NLP's matcher with shortcuts worked out by
``relaxed``, each of which leaves the matches, their spans and their captured groups exactly as
they were:

* **a guard**: RE2 (Google's automaton-based engine, ``google-re2``) tells in microseconds whether
  the pattern's relaxed form (``relaxed.relaxed``) occurs in the text; when it does not, the
  pattern cannot match and is skipped. Patterns without a relaxed form run as before.
* **a body**: a date pattern is searched by its body (``relaxed.body_of``, much cheaper), and the
  full pattern is run, as EDS-NLP runs it, only where the body was found. The guard then also
  tells where the next match may begin at the earliest (the leftmost match of the relaxed
  pattern, from where the last match ended): the body is searched from there, not through the
  whole note.
* **first characters**: the search runs behind a look-ahead on the characters every match begins
  with (``relaxed.lookahead``); the full pattern is then run, as EDS-NLP runs it, where that
  search found a match.

``apply_to(nlp)`` puts every regex matcher of a pipeline under guard, ``remove_from(nlp)`` gives
them EDS-NLP's class back. The tests compare the guarded pipeline's output with EDS-NLP's own
matcher on real notes; benchmarks/nlp_speed.py does so on every run.
"""

from __future__ import annotations

import re

import regex
from edsnlp.matchers.regex import RegexMatcher, create_span, span_from_match
from edsnlp.utils.doc_to_text import get_text

from clinsearch.nlp.speedups.relaxed import body_of, lookahead, relaxed

GUARD_FROM = 200  # characters: shorter texts are searched as EDS-NLP searches them, as quick there
STATE = ("_relaxed", "_first", "_compiled")  # what a guarded matcher adds to EDS-NLP's
_ANALYSED: dict[tuple, tuple[str | None, str | None]] = {}  # (engine, pattern, flags) -> relaxed, look-ahead


class GuardedRegexMatcher(RegexMatcher):
    """EDS-NLP's ``RegexMatcher`` that skips, text by text, the patterns that cannot match there,
    and searches the others by their body and behind their first characters when it can (see the
    module's docstring)."""

    def match(self, doclike):
        plan = None
        for index, (key, patterns, attr, ignore_excluded, ignore_space_tokens, alignment_mode) in enumerate(self.regex):
            text = get_text(doclike, attr, ignore_excluded, ignore_space_tokens)
            if len(text) < GUARD_FROM:
                # as quick without shortcuts, which are compiled only once a longer text comes
                # (a cold ``clinsearch annotate`` of a sentence then compiles none)
                shortcuts, encoded = [(pattern, None, None, False) for pattern in patterns], None
            else:
                plan = self._plan() if plan is None else plan
                _, shortcuts, guarded = plan[index]
                encoded = _utf8(text) if guarded else None  # once for all the guards
            for pattern, guard, finder, skips in shortcuts:
                if guard is not None and encoded is not None and guard.search(encoded) is None:
                    continue  # the relaxed pattern is absent: the pattern cannot match
                if finder is None:
                    matches = pattern.finditer(text)
                elif skips and encoded is not None:
                    matches = _where_found_skipping(pattern, finder, guard, text, encoded)
                else:
                    matches = _where_found(pattern, finder, text)
                for found in matches:
                    start_char, end_char = span_from_match(match=found, span_from_group=self.span_from_group)
                    span = create_span(doclike=doclike, start_char=start_char, end_char=end_char, key=key, attr=attr,
                                       alignment_mode=alignment_mode, ignore_excluded=ignore_excluded, ignore_space_tokens=ignore_space_tokens)
                    if span is not None:
                        yield span, found

    def _plan(self) -> list:
        """For each entry of ``self.regex``: (the entry, [(pattern, RE2 guard or None, finder or
        None)], whether any pattern has a guard) -- compiled once per process, again when
        patterns are added or removed."""
        plan = self.__dict__.get("_compiled")
        if plan is None or plan[0] is not self.regex or plan[1] != len(self.regex):
            self.prepare()
            entries = []
            for entry in self.regex:
                shortcuts = []
                for pattern in entry[1]:
                    guard, first, body = _re2(self._relaxed[_key(pattern)]), self._first[_key(pattern)], body_of(pattern)
                    finder = _finder(pattern, first, body)
                    # the guard also skips to where a match may begin, for the date patterns (those
                    # with a body): their finders are slow to run through a note (0.4 µs a character)
                    # and find three or four dates; for patterns found dozens of times a note
                    # (numbers), one guard call a match costs more than it saves. The finder's
                    # matches must never be empty: it begins with a look-ahead on first characters.
                    skips = guard is not None and body is not None and first is not None and _leads_with(finder, first)
                    shortcuts.append((pattern, guard, finder, skips))
                entries.append((entry, shortcuts, any(guard is not None for _, guard, _, _ in shortcuts)))
            plan = self.__dict__["_compiled"] = (self.regex, len(self.regex), entries)
        return plan[2]

    def prepare(self) -> None:
        """Work out every pattern's relaxed form and first characters now (when the pipeline is
        built, so that the pipeline cache holds them and a new process only compiles)."""
        relaxation = self.__dict__.setdefault("_relaxed", {})
        first = self.__dict__.setdefault("_first", {})
        for _, patterns, *_ in self.regex:
            for pattern in patterns:
                key = _key(pattern)
                if key not in relaxation or key not in first:
                    relaxation[key], first[key] = _analysed(pattern)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_compiled", None)  # compiled again on first use; the relaxed patterns stay
        return state


def _analysed(pattern) -> tuple[str | None, str | None]:
    """(relaxed form, look-ahead on first characters) of ``pattern``, worked out once per process
    (the comorbidity pipes share patterns, and matchers given EDS-NLP's class back and guarded
    again need them again)."""
    key = (type(pattern), *_key(pattern))
    found = _ANALYSED.get(key)
    if found is None:
        found = _ANALYSED[key] = (relaxed(pattern), lookahead(body_of(pattern) or pattern))
    return found


def _utf8(text: str) -> bytes | None:
    """The text as RE2 reads it; None when it holds lone surrogates (then nothing is guarded)."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return None


def _re2(pattern: str | None):
    if pattern is None:
        return None
    import re2

    options = re2.Options()
    options.max_mem = 64 << 20  # large alternations of spelt-out classes need room
    options.log_errors = False  # a pattern RE2 refuses (nested repetitions too large) just goes unguarded
    try:
        return re2.compile(pattern, options)
    except re2.error:
        return None


def _key(pattern) -> tuple:
    return pattern.pattern, pattern.flags


GLOBAL_FLAGS = re.compile(r"(?:\(\?[a-zA-Z]+\))*")  # "(?si)" and the like, which must stay in front


def _finder(pattern, first: str | None, body=False):
    """What finds where ``pattern`` matches, with the same non-overlapping run: its body (the
    pattern without its optional leading look-behind; ``body_of(pattern)``, worked out here when
    not given), behind the look-ahead of its first characters when there is one; None when
    neither helps."""
    body = body_of(pattern) if body is False else body
    if first is None:
        return body
    target = body or pattern
    flags = GLOBAL_FLAGS.match(target.pattern).end()
    module = re if isinstance(target, re.Pattern) else regex
    try:
        return module.compile(target.pattern[:flags] + first + target.pattern[flags:], target.flags)
    except (re.error, regex.error):
        return body


def _leads_with(finder, first: str) -> bool:
    return finder.pattern.startswith(first, GLOBAL_FLAGS.match(finder.pattern).end())


def _where_found(pattern, finder, text: str):
    """``pattern.finditer(text)``, found where ``finder`` matches: the full pattern matches exactly
    at the finder's match starts (a look-behind or look-ahead consumes nothing, and a look-behind
    may look before ``pos``), to the same ends, so the non-overlapping runs of both are the same."""
    for where in finder.finditer(text):
        found = pattern.match(text, where.start())
        if found is not None:
            yield found


def _where_found_skipping(pattern, finder, guard, text: str, encoded: bytes):
    """``_where_found(pattern, finder, text)``, the finder run only from where the guard -- the
    relaxed pattern, which matches at least wherever the pattern does -- finds its leftmost
    match: no match of the pattern can begin before. The finder's matches are never empty (it
    begins with a look-ahead on first characters), so each search resumes where the last ended,
    as ``finditer`` does. The date patterns find their three or four dates of a note this way
    instead of searching the whole note."""
    ascii_only = len(encoded) == len(text)
    pos = 0
    while True:
        hint = guard.search(encoded, pos if ascii_only else len(text[:pos].encode("utf-8")))
        if hint is None:
            return
        start = hint.start() if ascii_only else len(encoded[: hint.start()].decode("utf-8"))
        where = finder.search(text, start)
        if where is None:
            return
        found = pattern.match(text, where.start())
        if found is not None:
            yield found
        pos = where.end()


def regex_matchers(nlp) -> list[RegexMatcher]:
    """Every EDS-NLP regex matcher of the pipeline, however deep in a pipe (the contextual
    matchers of the comorbidity pipes hold one per pattern, exclusion and assignment)."""
    found, seen = [], set()

    def walk(obj, depth: int) -> None:
        if id(obj) in seen or depth > 6:
            return
        seen.add(id(obj))
        if isinstance(obj, RegexMatcher):
            found.append(obj)
            return
        if isinstance(obj, dict):
            children = obj.values()
        elif isinstance(obj, (list, tuple)):
            children = obj
        elif type(obj).__module__.startswith(("edsnlp.", "clinsearch.")) and hasattr(obj, "__dict__"):
            children = vars(obj).values()
        else:
            return
        for child in children:
            walk(child, depth + 1)

    for _, pipe in nlp.pipeline:
        walk(pipe, 0)
    return found


def apply_to(nlp) -> int:
    """Put every regex matcher of ``nlp`` under guard, in place; the number of matchers changed."""
    changed = 0
    for matcher in regex_matchers(nlp):
        if type(matcher) is RegexMatcher:
            matcher.__class__ = GuardedRegexMatcher
            changed += 1
        if isinstance(matcher, GuardedRegexMatcher):
            matcher.prepare()
    return changed


def remove_from(nlp) -> int:
    """Give every guarded matcher of ``nlp`` EDS-NLP's class back, without the guards' state."""
    changed = 0
    for matcher in regex_matchers(nlp):
        if type(matcher) is GuardedRegexMatcher:
            matcher.__class__ = RegexMatcher
            for name in STATE:
                matcher.__dict__.pop(name, None)
            changed += 1
    return changed


def compile_all(nlp) -> None:
    """Compile now what each guarded matcher of ``nlp`` would compile on first use."""
    for matcher in regex_matchers(nlp):
        if isinstance(matcher, GuardedRegexMatcher):
            matcher._plan()
