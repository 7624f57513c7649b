"""The query language (DESIGN.md, "Search semantics"), parsed into a small tree.

Grammar (a hand-written recursive-descent parser; ``OR`` binds looser than juxtaposition)::

    query    := or_expr END
    or_expr  := and_expr ( "OR" and_expr )*
    and_expr := unary+
    unary    := "-" unary | atom
    atom     := "(" or_expr ")"
              | CONTEXT ":" "(" or_expr ")"
              | FILTER ":" value
              | [CONTEXT ":"] ["="] ( WORD | PHRASE )
    CONTEXT  := "neg" | "hyp" | "fam" | "any"
    FILTER   := "type" | "after" | "before" | "code" | "patient" | "source" | "department"
    PHRASE   := '"' any characters but '"' '"'
    WORD     := characters other than space, parentheses and '"'

Bare words and phrases search affirmed mentions about the patient; ``neg:``, ``hyp:``, ``fam:``
and ``any:`` search negated, hypothetical, family or all mentions; ``=term`` turns off synonym
expansion. ``after:`` and ``before:`` take ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (``after``
includes the day, month or year given; ``before`` excludes it).

Every syntax error is a ``QueryError`` naming the position (1-based column) and what was
expected; no other exception leaves ``parse`` (tests/search/test_query.py fuzzes it).

>>> parse('EP -neg:TVP type:CRH')
And(items=(Term(text='EP', context='affirmed', exact=False, phrase=False, position=1), Not(item=Term(text='TVP', context='negated', exact=False, phrase=False, position=9)), Filter(field='type', value='CRH', position=13)))
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Union

MAX_LENGTH = 1_000  # characters
MAX_DEPTH = 16  # nested parentheses
MAX_ITEMS = 64  # words, phrases and filters

CONTEXTS = {"neg": "negated", "hyp": "hypothetical", "fam": "family", "any": "any"}
FILTERS = ("type", "after", "before", "code", "patient", "source", "department")
PSEUDONYM = re.compile(r"P-[0-9a-f]{10}")  # a patient as researchers name them (nlp.pseudonymize.person_pseudonym)
SOURCES = ("notes", "imaging", "articles")


class QueryError(ValueError):
    """A query that cannot be read; ``position`` is the 1-based column of the problem."""

    def __init__(self, message: str, position: int | None = None):
        self.message = message
        self.position = position
        super().__init__(f"{message} (at position {position})" if position else message)


@dataclass(frozen=True)
class Term:
    text: str
    context: str = "affirmed"  # affirmed, negated, hypothetical, family or any
    exact: bool = False  # "=term": no synonym expansion
    phrase: bool = False  # written between quotes
    position: int = 0


@dataclass(frozen=True)
class Filter:
    field: str  # one of FILTERS
    value: str
    position: int = 0
    expanded: tuple[str, ...] = dataclass_field(default=(), repr=False)  # code: the codes of the loaded vocabularies it stands for (expand.py)


@dataclass(frozen=True)
class Not:
    item: "Node"


@dataclass(frozen=True)
class And:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    items: tuple["Node", ...]


Node = Union[Term, Filter, Not, And, Or]

_TOKEN = re.compile(r'\s+|(?P<lpar>\()|(?P<rpar>\))|(?P<phrase>"[^"]*")|(?P<quote>")|(?P<word>[^\s()"]+)')
_PREFIX = re.compile(r"^(?P<name>[A-Za-z_]+):(?P<rest>.*)$", re.S)


@dataclass
class _Token:
    kind: str  # lpar, rpar, phrase, word, or, end
    text: str
    position: int  # 1-based


def parse(text: str) -> Node:
    """The tree of ``text``; raises ``QueryError`` on anything it cannot read."""
    if not isinstance(text, str):
        raise QueryError("the query must be text")
    if len(text) > MAX_LENGTH:
        raise QueryError(f"the query is too long ({len(text):,} characters; at most {MAX_LENGTH:,})")
    bad = next((i for i, c in enumerate(text) if (ord(c) < 32 and c not in "\t\n\r") or 0x7F <= ord(c) < 0xA0 or c == "\ufffd"), None)
    if bad is not None:
        raise QueryError(f"control character U+{ord(text[bad]):04X} in the query", bad + 1)
    tokens = _tokenize(text)
    if len(tokens) == 1:
        raise QueryError("the query is empty")
    parser = _Parser(tokens)
    node = parser.or_expr(0)
    if parser.peek().kind != "end":
        token = parser.peek()
        what = "')' without '('" if token.kind == "rpar" else f"'{token.text}'"
        raise QueryError(f"unexpected {what}", token.position)
    if parser.items > MAX_ITEMS:
        raise QueryError(f"too many terms ({parser.items}; at most {MAX_ITEMS})")
    return node


def _tokenize(text: str) -> list[_Token]:
    tokens = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind is None:
            continue  # white space
        if kind == "quote":
            raise QueryError("unbalanced quote: '\"' is never closed", match.start() + 1)
        value = match.group()
        if kind == "word" and value == "OR":
            kind = "or"
        tokens.append(_Token(kind, value, match.start() + 1))
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, tokens: list[_Token]):
        self.tokens = tokens
        self.at = 0
        self.items = 0

    def peek(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def or_expr(self, depth: int, context: str | None = None) -> Node:
        items = [self.and_expr(depth, context)]
        while self.peek().kind == "or":
            token = self.take()
            if self.peek().kind in ("end", "rpar", "or"):
                raise QueryError("'OR' must be followed by a term", token.position)
            items.append(self.and_expr(depth, context))
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self, depth: int, context: str | None) -> Node:
        items = []
        while self.peek().kind not in ("end", "rpar", "or"):
            items.append(self.unary(depth, context))
        if not items:
            token = self.peek()
            if token.kind == "or":
                raise QueryError("'OR' needs a term on each side", token.position)
            raise QueryError("expected a term", token.position)
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self, depth: int, context: str | None) -> Node:
        token = self.peek()
        if token.kind == "word" and token.text.startswith("-"):
            if token.text == "-":
                self.take()
                if self.peek().kind in ("end", "rpar", "or"):
                    raise QueryError("'-' must be followed by a term", token.position)
                return Not(self.unary(depth, context))
            # "-term": split the minus off the word
            self.tokens[self.at] = _Token("word", token.text[1:], token.position + 1)
            return Not(self.unary(depth, context))
        return self.atom(depth, context)

    def atom(self, depth: int, context: str | None) -> Node:
        token = self.take()
        if token.kind == "lpar":
            return self.group(token, depth, context)
        if token.kind == "rpar":
            raise QueryError("')' without '('", token.position)
        if token.kind == "phrase":
            return self.term(token.text[1:-1], token.position, context, phrase=True)
        if token.text == "=" and self.peek().kind == "phrase":  # ="exact phrase"
            following = self.take()
            return self.term("=" + following.text[1:-1], following.position - 1, context, phrase=True)
        prefix = _PREFIX.match(token.text)
        if not prefix:
            return self.term(token.text, token.position, context)
        name, rest = prefix.group("name").lower(), prefix.group("rest")
        if name in CONTEXTS:
            if context is not None:
                raise QueryError(f"'{name}:' inside another context prefix", token.position)
            inner = CONTEXTS[name]
            nested = _PREFIX.match(rest)
            if nested and nested.group("name").lower() in (*CONTEXTS, *FILTERS):
                raise QueryError(f"'{name}:' must be followed by a term, not another prefix", token.position)
            following = self.peek()
            if rest == "=" and following.kind == "phrase":
                self.take()
                return self.term("=" + following.text[1:-1], following.position - 1, inner, phrase=True)
            if rest:
                return self.term(rest, token.position + len(name) + 1, inner)
            if following.kind == "phrase":
                self.take()
                return self.term(following.text[1:-1], following.position, inner, phrase=True)
            if following.kind == "lpar":
                self.take()
                return self.group(following, depth, inner)
            raise QueryError(f"'{name}:' must be followed by a term, a phrase or '('", token.position)
        if name in FILTERS:
            value_position = token.position + len(name) + 1
            if not rest and self.peek().kind == "phrase":
                following = self.take()
                rest, value_position = following.text[1:-1], following.position
            self.items += 1
            return Filter(name, _filter_value(name, rest, value_position), token.position)
        known = ", ".join(f"{n}:" for n in (*CONTEXTS, *FILTERS))
        raise QueryError(f"unknown prefix '{name}:' (known: {known}); put the word in quotes to search it as text", token.position)

    def group(self, opening: _Token, depth: int, context: str | None) -> Node:
        if depth + 1 > MAX_DEPTH:
            raise QueryError(f"parentheses nested too deep (at most {MAX_DEPTH})", opening.position)
        if self.peek().kind == "rpar":
            raise QueryError("empty parentheses", opening.position)
        if self.peek().kind == "end":
            raise QueryError("'(' is never closed", opening.position)
        node = self.or_expr(depth + 1, context)
        closing = self.take()
        if closing.kind != "rpar":
            raise QueryError("'(' is never closed", opening.position)
        return node

    def term(self, text: str, position: int, context: str | None, phrase: bool = False) -> Term:
        exact = text.startswith("=")
        if exact:
            text, position = text[1:], position + 1
        if not any(c.isalnum() for c in text):
            raise QueryError("expected a word or a phrase with letters or digits", position)
        self.items += 1
        return Term(text.strip(), context or "affirmed", exact, phrase, position)


def _filter_value(name: str, value: str, position: int) -> str:
    if not value:
        raise QueryError(f"'{name}:' needs a value", position)
    if name in ("after", "before"):
        first_day(value, position)
    elif name == "patient" and not ((value.isascii() and value.isdigit() and len(value) <= 18) or PSEUDONYM.fullmatch(value)):
        raise QueryError(f"'patient:' takes a person id (digits) or a pseudonym (P-...), not '{value}'", position)
    elif name == "source" and value.lower() not in SOURCES:
        raise QueryError(f"'source:' is one of {', '.join(SOURCES)}, not '{value}'", position)
    elif name == "code" and not re.fullmatch(r"[A-Za-z0-9.:_-]+\*?", value):
        raise QueryError(f"'code:' takes a code such as E11, I21*, B01AC06 or SNOMED:44054006, not '{value}'", position)
    return value


def first_day(value: str, position: int = 0) -> dt.date:
    """The first day of ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``."""
    for pattern, fmt in ((r"\d{4}", "%Y"), (r"\d{4}-\d{2}", "%Y-%m"), (r"\d{4}-\d{2}-\d{2}", "%Y-%m-%d")):
        if re.fullmatch(pattern, value):
            try:
                return dt.datetime.strptime(value, fmt).date()
            except ValueError:
                break
    raise QueryError(f"'{value}' is not a date (YYYY, YYYY-MM or YYYY-MM-DD)", position)


def leaves(node: Node) -> list[Term | Filter]:
    if isinstance(node, (Term, Filter)):
        return [node]
    if isinstance(node, Not):
        return leaves(node.item)
    return [leaf for item in node.items for leaf in leaves(item)]
