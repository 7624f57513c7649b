"""EDS-NLP's regular expressions, found faster, with the same matches.

EDS-NLP's pipes look for their regular expressions (``edsnlp.matchers.regex.RegexMatcher``) with
the ``regex`` module, a backtracking engine that tries each pattern at every character of the
note -- the dates pipe alone tries 22 patterns of up to 1,700 characters on every note, and most of
them never match. ``GuardedRegexMatcher`` is EDS-NLP's matcher with shortcuts, each of which
leaves the matches, their spans and their captured groups exactly as they were:

* **a guard**: each pattern is *relaxed* into an RE2 pattern (``relaxed``) that matches wherever
  it matches, and more: look-arounds and word boundaries are dropped, groups lose their names,
  character classes are spelt out code point by code point as the pattern's own engine reads
  them. RE2 (Google's automaton-based engine, ``google-re2``) tells in microseconds whether the
  relaxed pattern occurs in the text; when it does not, the pattern cannot match and is skipped.
  Case-insensitive patterns are relaxed with each letter spelt out with its case variants, as
  the pattern's own engine matches them (``case_variants``). A pattern that begins with a
  literal character has no guard (the backtracking engine jumps from one occurrence of it to the
  next as fast: ``regex`` behind a look-behind too, ``re`` only when the literal comes first and
  case counts), nor has one that cannot be relaxed safely (back-references, local or unusual
  flags, syntax that Python's parser might read otherwise than ``regex``): those run as before.
* **a body**: EDS-NLP's date patterns begin with an optional look-behind,
  ``(?<=(depuis|du|jusqu'au ...).{,3})?``, that only records whether the date is a bound. It is
  optional and consumes nothing, so the pattern matches exactly where its *body* (the rest)
  matches, and to the same end: the body is searched -- much cheaper -- and the full pattern is
  run, as EDS-NLP runs it, only where the body was found. The guard then also tells where the
  next match may begin at the earliest (the leftmost match of the relaxed pattern, from where the
  last match ended): the body is searched from there, not through the whole note.
* **first characters**: the characters every match begins with are worked out from the pattern
  (``first_characters``), and the search runs behind a look-ahead on them, ``(?=[...])``: the
  same matches, but ``regex`` dismisses most places of a note at once instead of trying there the
  look-behinds that many of EDS-NLP's patterns begin with; the full pattern is then run, as
  EDS-NLP runs it, where that search found a match. Not in front of a leading literal
  (``lookahead``): there the look-ahead would hide the literal from the engine, and ``re`` would
  try every place of the note (measured 10 times slower).

``guard_all(nlp)`` puts every regex matcher of a pipeline under guard. The tests compare the
guarded pipeline's output with EDS-NLP's own matcher on real notes; benchmarks/nlp_speed.py does
so on every run.
"""

from __future__ import annotations

import re
import warnings
from functools import cache
from re import _constants as sre
from re import _parser as sre_parse

import regex
from edsnlp.matchers.regex import RegexMatcher, create_span, span_from_match
from edsnlp.utils.doc_to_text import get_text

PREFIX = "(?<="
PREFIX_END = r".{,3})?"  # how EDS-NLP closes the optional look-behind of its date patterns
GUARD_FROM = 200  # characters: shorter texts are searched as EDS-NLP searches them, as quick there
MAX_REPEAT = 1000  # RE2's largest counted repetition
FIRST_MAX = 200  # items of the first characters' class: a look-ahead on more would hardly narrow

# The flags a pattern may carry and still be relaxed: anything else (ASCII or locale classes,
# full case folding, regex's version 1 or fuzzy matching) and the pattern runs unguarded.
RE_FLAGS = re.UNICODE | re.DOTALL | re.MULTILINE | re.VERBOSE | re.IGNORECASE
REGEX_FLAGS = regex.UNICODE | regex.VERSION0 | regex.DOTALL | regex.MULTILINE | regex.VERBOSE | regex.IGNORECASE
CATEGORIES = {
    sre.CATEGORY_DIGIT: r"\d", sre.CATEGORY_NOT_DIGIT: r"\D",
    sre.CATEGORY_SPACE: r"\s", sre.CATEGORY_NOT_SPACE: r"\S",
    sre.CATEGORY_WORD: r"\w", sre.CATEGORY_NOT_WORD: r"\W",
}


class Unrelaxable(Exception):
    """A construct the relaxation does not translate: the pattern goes unguarded."""


def relaxed(pattern) -> str | None:
    """An RE2 pattern that matches wherever the compiled ``pattern`` (``re`` or ``regex``) has a
    match, or None when there is no such pattern we can trust."""
    parsed = _parse(pattern)
    if parsed is None:
        return None
    tree, engine, dotall = parsed
    if _leading_literal(tree, engine, pattern.flags):
        return None  # the backtracking engine itself jumps from one occurrence of it to the next
    try:
        return _emit(tree, engine, pattern.flags, dotall)
    except (Unrelaxable, RecursionError, OverflowError):
        return None


def first_characters(pattern) -> str | None:
    """``(?=[...])``: the characters every match of ``pattern`` begins with, in the pattern's own
    syntax; None when a match may be empty, or may begin with too many characters to help.
    Put in front of the pattern, the look-ahead changes no match, but lets ``regex`` dismiss
    most places of a note at once instead of trying the pattern's first look-behind there."""
    parsed = _parse(pattern)
    if parsed is None:
        return None
    try:
        items, nullable = _first(parsed[0])
    except (Unrelaxable, RecursionError):
        return None
    if nullable or not items or len(items) > FIRST_MAX:
        return None
    return "(?=[" + "".join(sorted(items)) + "])"


def lookahead(pattern) -> str | None:
    """``first_characters(pattern)`` where a look-ahead on them speeds the search up: not for a
    pattern that begins with a literal, which the engine jumps to by itself -- in front of one,
    the look-ahead makes ``re`` try every place of the note instead (20 µs a note, not 2)."""
    parsed = _parse(pattern)
    if parsed is None or _leading_literal(*parsed[:2], pattern.flags):
        return None
    return first_characters(pattern)


def _parse(pattern):
    """(sre parse tree, engine name, dot matches newline) of a pattern we may reason about."""
    source = pattern.pattern
    if not isinstance(source, str) or "[:" in source:  # POSIX classes: regex and re differ
        return None
    if isinstance(pattern, re.Pattern):
        engine, allowed = "re", RE_FLAGS
        parse_flags = pattern.flags & (re.DOTALL | re.MULTILINE | re.VERBOSE)
    elif isinstance(pattern, regex.Pattern):
        engine, allowed = "regex", REGEX_FLAGS
        parse_flags = (re.DOTALL if pattern.flags & regex.DOTALL else 0) | (re.MULTILINE if pattern.flags & regex.MULTILINE else 0) | (re.VERBOSE if pattern.flags & regex.VERBOSE else 0)
    else:
        return None
    if pattern.flags & ~allowed:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a "possible nested set" warning: regex may read it otherwise
            return sre_parse.parse(source, parse_flags, _AnyNames()), engine, bool(parse_flags & re.DOTALL)
    except (re.error, Warning, RecursionError, OverflowError):
        return None


def _first(tree) -> tuple[set[str], bool]:
    """(the items of a character class -- ``a``, ``0-9``, ``\\d`` -- holding every character a
    match of ``tree`` may begin with, whether a match may be empty)."""
    first: set[str] = set()
    for op, av in tree:
        if op is sre.LITERAL:
            return first | {_escape(av)}, False
        if op is sre.IN:
            return first | _class_items(av), False
        if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
            continue  # consumes nothing: the first character comes after
        if op is sre.BRANCH:
            nullable = False
            for branch in av[1]:
                items, empty = _first(branch)
                first |= items
                nullable = nullable or empty
        elif op is sre.SUBPATTERN:
            if av[1] or av[2]:
                raise Unrelaxable("inline flags")
            items, nullable = _first(av[3])
            first |= items
        elif op is sre.ATOMIC_GROUP:
            items, nullable = _first(av)
            first |= items
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, high, sub = av
            items, nullable = _first(sub) if high != 0 else (set(), True)
            first |= items
            nullable = nullable or low == 0
        else:
            raise Unrelaxable(str(op))  # any character, back-references, conditionals
        if not nullable:
            return first, False
    return first, True


def _class_items(items) -> set[str]:
    """A character class's items, written back for a larger class; only classes that narrow."""
    written = set()
    for op, av in items:
        if op is sre.LITERAL:
            written.add(_escape(av))
        elif op is sre.RANGE:
            written.add(f"{_escape(av[0])}-{_escape(av[1])}")
        elif op is sre.CATEGORY and av in (sre.CATEGORY_DIGIT, sre.CATEGORY_SPACE):
            written.add(CATEGORIES[av])  # as the pattern's own engine reads it
        else:
            raise Unrelaxable(str(op))  # negated classes, \\w and the complements: too broad
    return written


def _escape(point: int) -> str:
    return f"\\U{point:08x}"


class _AnyNames(sre_parse.State):
    """Parser state that accepts a group name used twice, as ``regex`` does (EDS-NLP's relative
    dates name two groups ``number_12``): the relaxed pattern keeps no names."""

    def __init__(self):
        super().__init__()
        self.groupdict = _NoLookup()


class _NoLookup(dict):
    def get(self, key, default=None):
        return None  # a back-reference by name then fails to parse: no guard


def _leading_literal(tree, engine: str, flags: int = 0) -> bool:
    """Whether every match begins with one given character, which the backtracking engine jumps
    from one occurrence of to the next: ``regex`` does so behind look-arounds too, ``re`` only
    when the literal comes first (after a look-behind it tries every place: 10 times slower) and
    case counts (ignoring case, it tries every place); neither after a ``\\b`` (measured 5 times
    slower)."""
    if engine == "re" and flags & re.IGNORECASE:
        return False
    for op, _ in tree:
        if op in (sre.ASSERT, sre.ASSERT_NOT) and engine == "regex":
            continue
        return op is sre.LITERAL
    return False


def _emit(tree, engine: str, flags: int, dotall: bool) -> str:
    parts = []
    for op, av in tree:
        if op is sre.LITERAL:
            parts.append(_class(case_variants(frozenset({av}), engine, flags)) if flags & re.IGNORECASE else _char(av))
        elif op is sre.NOT_LITERAL:
            parts.append(_class({av}, negate=True))  # ignoring case, it excludes more: never fewer
        elif op is sre.ANY:
            parts.append(r"(?s:.)" if dotall else r"[^\n]")
        elif op is sre.IN:
            parts.append(_in(av, engine, flags))
        elif op is sre.BRANCH:
            parts.append("(?:" + "|".join(_emit(branch, engine, flags, dotall) for branch in av[1]) + ")")
        elif op is sre.SUBPATTERN:
            _, add, remove, sub = av
            if add or remove:
                raise Unrelaxable("inline flags")
            parts.append("(?:" + _emit(sub, engine, flags, dotall) + ")")
        elif op is sre.ATOMIC_GROUP:
            parts.append("(?:" + _emit(av, engine, flags, dotall) + ")")
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, high, sub = av
            if low > MAX_REPEAT or (high is not sre.MAXREPEAT and high > MAX_REPEAT):
                raise Unrelaxable("repetition too large for RE2")
            if high is sre.MAXREPEAT:
                quantifier = "*" if low == 0 else "+" if low == 1 else f"{{{low},}}"
            else:
                quantifier = f"{{{low},{high}}}"
            parts.append("(?:" + _emit(sub, engine, flags, dotall) + ")" + quantifier)
        elif op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
            continue  # zero-width conditions: dropping them only widens what matches
        else:
            raise Unrelaxable(str(op))  # back-references, conditionals
    return "".join(parts)


def _in(items, engine: str, flags: int) -> str:
    points, spelt, negate = set(), set(), False
    for op, av in items:
        if op is sre.NEGATE:
            negate = True
        elif op is sre.LITERAL:
            spelt.add(av)
        elif op is sre.RANGE:
            spelt.update(range(av[0], av[1] + 1))
        elif op is sre.CATEGORY:
            points |= category(CATEGORIES[av], engine, flags)  # asked with the flags: case included
        else:
            raise Unrelaxable(str(op))
    if flags & re.IGNORECASE and not negate and spelt:
        # a negated class stays as spelt: ignoring case it excludes more characters, never fewer
        spelt = case_variants(frozenset(spelt), engine, flags)
    return _class(points | spelt, negate)


@cache
def category(escape: str, engine: str, flags: int) -> frozenset[int]:
    """The code points ``escape`` (``\\d``, ``\\s``, ...) matches, asked of the pattern's own
    engine with its own flags: ``re`` and ``regex`` do not agree on ``\\w``, RE2 on none."""
    compiled = re.compile(escape, flags) if engine == "re" else regex.compile(escape, flags)
    return frozenset(map(ord, compiled.findall(_every())))


@cache
def _every() -> str:
    """Every code point but the surrogates, as one string."""
    return "".join(map(chr, (*range(0xD800), *range(0xE000, 0x110000))))


@cache
def case_variants(points: frozenset[int], engine: str, flags: int) -> frozenset[int]:
    """The code points that a class of ``points`` matches ignoring case, asked of the pattern's
    own engine with its own flags over every code point (8 ms): ``re`` and ``regex`` fold case
    each their way, and by their own Unicode tables (``regex``'s are newer than Python's)."""
    module = re if engine == "re" else regex
    inside = "".join(module.escape(chr(a)) if a == b else f"{module.escape(chr(a))}-{module.escape(chr(b))}" for a, b in _spans(points))
    compiled = module.compile(f"[{inside}]", flags | module.IGNORECASE)
    return frozenset({*points, *map(ord, compiled.findall(_every()))})


def _char(point: int) -> str:
    return f"\\x{{{point:x}}}"


def _class(points, negate: bool = False) -> str:
    if not points:
        raise Unrelaxable("empty class")
    inside = "".join(_char(a) if a == b else f"{_char(a)}-{_char(b)}" for a, b in _spans(points))
    return ("[^" if negate else "[") + inside + "]"


def _spans(points) -> list[tuple[int, int]]:
    """Sorted code points as (first, last) runs."""
    spans: list[list[int]] = []
    for point in sorted(points):
        if spans and point == spans[-1][1] + 1:
            spans[-1][1] = point
        else:
            spans.append([point, point])
    return [(a, b) for a, b in spans]


def body_of(pattern):
    """The pattern without its leading optional look-behind, compiled like it (None when it does
    not begin with exactly one optional look-behind closed the way EDS-NLP closes it)."""
    text = pattern.pattern
    if not isinstance(text, str) or not text.startswith(PREFIX) or PREFIX_END not in text:
        return None
    end = text.index(PREFIX_END) + len(PREFIX_END)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            prefix = sre_parse.parse(text[:end], 0, _AnyNames())
    except (re.error, Warning, RecursionError):
        return None
    if len(prefix) != 1 or prefix[0][0] is not sre.MAX_REPEAT or prefix[0][1][:2] != (0, 1):
        return None
    inner = prefix[0][1][2]
    if len(inner) != 1 or inner[0][0] is not sre.ASSERT or inner[0][1][0] != -1:
        return None
    module = re if isinstance(pattern, re.Pattern) else regex
    try:
        return module.compile(text[end:], pattern.flags)
    except (re.error, regex.error):
        return None


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
                if key not in relaxation:
                    relaxation[key] = relaxed(pattern)
                if key not in first:
                    first[key] = lookahead(body_of(pattern) or pattern)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_compiled", None)  # compiled again on first use; the relaxed patterns stay
        return state


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


def guard_all(nlp) -> int:
    """Put every regex matcher of ``nlp`` under guard, in place; the number of matchers."""
    matchers = regex_matchers(nlp)
    for matcher in matchers:
        matcher.__class__ = GuardedRegexMatcher
        matcher.prepare()
    return len(matchers)


def compile_all(nlp) -> None:
    """Compile now what each guarded matcher of ``nlp`` would compile on first use."""
    for matcher in regex_matchers(nlp):
        if isinstance(matcher, GuardedRegexMatcher):
            matcher._plan()
