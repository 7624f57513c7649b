"""What a regular expression of EDS-NLP's can be reduced to, for the regex speed-up (``regexes``).

Three readings of a compiled pattern (``re`` or ``regex``), each of which the tests check against
the pattern's own engine (tests/nlp/test_regexes.py):

* ``relaxed(pattern)``: an RE2 pattern that matches wherever the pattern matches, and more:
  look-arounds and word boundaries are dropped, groups lose their names, character classes are
  spelt out code point by code point as the pattern's own engine reads them. Case-insensitive
  patterns are relaxed with each letter spelt out with its case variants, as the pattern's own
  engine matches them (``case_variants``). A pattern that begins with a literal character has none
  (the backtracking engine jumps from one occurrence of it to the next as fast: ``regex`` behind a
  look-behind too, ``re`` only when the literal comes first and case counts), nor has one that
  cannot be relaxed safely (back-references, local or unusual flags, syntax that Python's parser
  might read otherwise than ``regex``);
* ``body_of(pattern)``: EDS-NLP's date patterns begin with an optional look-behind,
  ``(?<=(depuis|du|jusqu'au ...).{,3})?``, that only records whether the date is a bound. It is
  optional and consumes nothing, so the pattern matches exactly where its *body* (the rest)
  matches, and to the same end;
* ``first_characters(pattern)`` / ``lookahead(pattern)``: the characters every match begins with,
  as a look-ahead ``(?=[...])`` to put in front of the pattern -- the same matches, but ``regex``
  dismisses most places of a note at once instead of trying there the look-behinds that many of
  EDS-NLP's patterns begin with. Not in front of a leading literal (``lookahead``): there the
  look-ahead would hide the literal from the engine, and ``re`` would try every place of the note
  (measured 10 times slower).

The patterns are read with CPython's own regular-expression parser (``re._parser``, private: the
reason this module sits with the speed-ups, under their EDS-NLP version gate, and why any parse it
does not trust leaves the pattern as it is).
"""

from __future__ import annotations

import re
import warnings
from functools import cache
from re import _constants as sre
from re import _parser as sre_parse

import regex

PREFIX = "(?<="
PREFIX_END = r".{,3})?"  # how EDS-NLP closes the optional look-behind of its date patterns
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
