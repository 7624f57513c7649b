"""EDS-NLP's regular expressions under guard (nlp/speedups/regexes.py, relaxed.py): the relaxed RE2 pattern matches
wherever the pattern does, and the guarded matchers find exactly what EDS-NLP's own matcher finds
-- the same spans, parsed values and bounds -- on sentences made for it and on demo notes."""

from __future__ import annotations

import random
import re

import pytest
import re2
import regex
from edsnlp.matchers.regex import RegexMatcher
from hypothesis import given, settings
from hypothesis import strategies as st

from clinsearch.nlp.annotate import entities
from clinsearch.nlp.speedups.regexes import GuardedRegexMatcher, _finder, _utf8, _where_found, _where_found_skipping, regex_matchers
from clinsearch.nlp.speedups.relaxed import body_of, case_variants, first_characters, lookahead, relaxed
from tests.nlp.modes import speedups_applied

SENTENCES = [
    "Hospitalisé du 12 mars 2020 au 15/03/2020, suivi depuis le 3 janvier.",
    "Traitement à partir du 1er février 2021 et jusqu'au 28/02/2021.",
    "Antécédent d'AVC il y a deux ans, revu le mois dernier, puis le 5 mai.",
    "Date : 19/11/2017. Né le 13/07/1991. Rendez-vous en juin 2024 à 14h30.",
    "Depuis 2015, diabète. Jusqu'en 2019 sous metformine. Du 2 au 4 avril.",
    "Pas de date ici, seulement 12 34 56 78 90 et 1/2 comprimé.",
    "Le vingt-trois avril 2019, puis le 1er\u00a0mai\u00a02019 (espaces insécables) et le 03.05.2019.",
    "Créatinine 110 µmol/l, DFG 45 ml/min, TA 130/80 mmHg, HbA1c 7,2 %, poids 80,5 kg.",
    "",
]


def dates_of(nlp, text: str, matcher_class) -> list[tuple]:
    """The dates found in ``text`` with every regex matcher of ``nlp`` of ``matcher_class``."""
    found = regex_matchers(nlp)
    for matcher in found:
        matcher.__class__ = matcher_class
    try:
        doc = nlp(text)
    finally:
        for matcher in found:
            matcher.__class__ = GuardedRegexMatcher
    return [(d.start_char, d.end_char, d.text, str(d._.date), d.label_) for d in doc.spans.get("dates", [])]


def entities_of(nlp, text: str, matcher_class) -> list[dict]:
    found = regex_matchers(nlp)
    for matcher in found:
        matcher.__class__ = matcher_class
    try:
        return [e.as_dict() for e in entities(nlp(text))]
    finally:
        for matcher in found:
            matcher.__class__ = GuardedRegexMatcher


@pytest.fixture(scope="module")
def nlp(nlp):
    """The session's French pipeline, its regex matchers guarded whatever the switch."""
    with speedups_applied(nlp):
        yield nlp


@pytest.fixture(scope="module")
def date_patterns(nlp):
    return [p for _, ps, *_ in nlp.get_pipe("dates").regex_matcher.regex for p in ps]


def test_every_regex_matcher_of_the_pipeline_is_guarded(nlp):
    found = regex_matchers(nlp)
    assert len(found) > 50  # the comorbidity pipes hold one per pattern, exclusion and assignment
    assert all(type(m) is GuardedRegexMatcher for m in found)
    guarded = [p for p in nlp.get_pipe("dates").regex_matcher._relaxed.values() if p is not None]
    assert len(guarded) >= 15  # EDS-NLP's absolute and relative date patterns


def test_the_date_patterns_have_a_body(date_patterns):
    with_body = [p for p in date_patterns if body_of(p) is not None]
    assert len(with_body) >= 15
    assert all(not body_of(p).pattern.startswith("(?<=") for p in with_body)


def test_body_of_wants_exactly_one_optional_look_behind():
    assert body_of(regex.compile(r"(?<=(du|depuis).{,3})?\d+")).pattern == r"\d+"
    assert body_of(regex.compile(r"(?<=a)(b.{,3})?c")) is None  # the group closed is not the look-behind
    assert body_of(regex.compile(r"(?<!(du|depuis).{,3})?\d+")) is None  # negative: not optional in effect


@pytest.mark.parametrize("text", SENTENCES)
def test_same_dates_as_edsnlp(nlp, text):
    assert dates_of(nlp, text, GuardedRegexMatcher) == dates_of(nlp, text, RegexMatcher)


def test_same_entities_as_edsnlp_on_demo_notes(nlp, tmp_path):
    from clinsearch.demo.generator import generate

    generate(tmp_path, patients=30, notes=100, seed=5)
    texts = [p.read_text(encoding="utf-8") for p in sorted((tmp_path / "sources" / "documents").rglob("*.txt"))]
    random.Random(1).shuffle(texts)
    dates = 0
    for text in texts[:60]:
        ours = entities_of(nlp, text, GuardedRegexMatcher)
        assert ours == entities_of(nlp, text, RegexMatcher)
        dates += sum(e["label"] == "date" for e in ours)
    assert dates > 50


def test_a_guard_skips_a_pattern_absent_from_the_text(date_patterns):
    day_month_year = next(p for p in date_patterns if "month_12" in p.pattern and "year" in p.pattern and r"[^\S]+" in p.pattern)
    guard = re2.compile(relaxed(day_month_year))
    prose = "le patient est revu en consultation, il va bien, pas de plainte particulière. " * 10
    assert guard.search(prose) is None and day_month_year.search(prose) is None
    dated = prose + "revu le 12 mars 2021."
    assert guard.search(dated) is not None and day_month_year.search(dated) is not None


@pytest.mark.parametrize(
    "pattern, matching",
    [
        (regex.compile(r"(?<!\d)\d{2}(?!\d)"), ["12", "a 12 b", "٣٤"]),  # Arabic-Indic digits are \d for regex
        (regex.compile(r"\b(?:mars|avril)\s+\d{4}\b"), ["mars\u00a02020", "avril\u20032020"]),  # \s: no-break and em spaces
        (re.compile(r"(?s)[ab].b"), ["a\nb"]),
        (re.compile(r"[xz][^\S\n]+y"), ["x \t y"]),
        (regex.compile(r"(?P<n>un|deux)\s+(?P<n>jours?)"), ["deux jours"]),  # a name used twice, as EDS-NLP does
        (re.compile(r"\bbpco\b"), ["une bpco stade 2"]),  # a literal after \b: guarded (regex is slow there)
        (re.compile(r"(?<!pyelo)nephrite.{1,10}chron"), ["une nephrite chronique"]),  # re is slow after a look-behind
        # ignoring case, as each engine folds it: the Kelvin sign is a k, the long s an s
        (re.compile(r"[0-9]+ ans", re.IGNORECASE), ["12 ANS", "3 Ans", "5 anſ"]),
        (re.compile(r"(?i)kyste[a-c]"), ["\u212aYSTEB", "kyſtec"]),
        (regex.compile(r"(?i)(?<=\s)[pc]t[1-4]"), [" PT2", " cT3"]),
        (regex.compile(r"(?i)[sz]tra(ss|ß)e"), ["STRASSE", "STRAẞE"]),
        (re.compile(r"(?i)[^a]bc"), ["xBC", "\u212aBc"]),  # a negated class: no narrower
    ],
)
def test_the_relaxed_pattern_matches_what_the_pattern_matches(pattern, matching):
    guard = re2.compile(relaxed(pattern))
    for text in matching:
        assert pattern.search(text) is not None
        assert guard.search(text) is not None, text


@pytest.mark.parametrize(
    "pattern",
    [
        re.compile(r"(\d)-\1"),  # back-reference
        re.compile(r"[0-9]+(?i:ans)"),  # nor local flags
        regex.compile(r"[[:digit:]]+"),  # POSIX class: re and regex read it differently
        regex.compile(r"\p{Lu}\d"),  # a syntax re does not know
        re.compile(r"a{2000}"),  # beyond RE2's repetitions
        re.compile(r"ne\b.*pas"),  # a leading literal: the backtracking engine is as quick
        regex.compile(r"(?<!pyelo)nephrite"),  # regex jumps to it behind a look-behind too
    ],
)
def test_patterns_that_go_unguarded(pattern):
    assert relaxed(pattern) is None


@pytest.mark.parametrize("engine, flags", [("re", re.IGNORECASE | re.UNICODE), ("regex", regex.IGNORECASE | regex.V0)])
def test_case_variants_are_what_the_engine_matches_ignoring_case(engine, flags):
    module = re if engine == "re" else regex
    every = "".join(map(chr, (*range(0xD800), *range(0xE000, 0x110000))))
    for letters in ("k", "s", "i", "ß", "µ", "é", "a-f"):
        points = frozenset(range(ord(letters[0]), ord(letters[-1]) + 1))
        truth = set(map(ord, module.compile(f"[{letters}]", flags).findall(every)))
        assert case_variants(points, engine, flags) == truth | points
    assert 0x212A in case_variants(frozenset({ord("k")}), engine, flags)  # the Kelvin sign


@pytest.fixture(scope="module")
def case_insensitive_patterns(nlp):
    """The pipeline's patterns that ignore case (pollution, TNM, the stroke pipe's exclusions), guarded."""
    found = {}
    for matcher in regex_matchers(nlp):
        for _, patterns, *_ in matcher.regex:
            for p in patterns:
                if p.flags & re.IGNORECASE and relaxed(p) is not None:
                    found[(p.pattern, p.flags)] = (p, re2.compile(relaxed(p)))
    assert len(found) >= 5
    return list(found.values())


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(["Dr.", "dr ", "PR ", "pT2", "N0", "M1", "ypt1b", "TX", "=====", "_____", "nnnnn", "BbBbW", "-----",
                                 "L’ARRÊT du tabac", "permet de diminuer le RISQUE de maladie cardiovasculaire.", "AVC", "neurologie",
                                 "\u212a", "ſ", "ı", "İ", "\n", " ", "é", "É"]), max_size=14), st.randoms())
def test_relaxed_case_insensitive_patterns_are_never_stricter(case_insensitive_patterns, parts, rnd):
    text = "".join(part.upper() if rnd.random() < 0.3 else part for part in parts)
    for pattern, guard in case_insensitive_patterns:
        if pattern.search(text) is not None:
            assert guard.search(text.encode()) is not None, (pattern.pattern[:60], text)


@pytest.fixture(scope="module")
def date_guards(date_patterns):
    return [(p, re2.compile(relaxed(p))) for p in date_patterns if relaxed(p) is not None]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789 /-.:hjanvierfévmarsdecmbrlu\u00a0\nàpartiy", max_size=60))
def test_relaxed_date_patterns_are_never_stricter(date_guards, text):
    for pattern, guard in date_guards:
        if pattern.search(text) is not None:
            assert guard.search(text) is not None, (pattern.pattern[:60], text)


@pytest.mark.parametrize(
    "pattern, first",
    [
        (regex.compile(r"(?<!\d)(?P<day>\d{1,2})/\d\d"), r"(?=[\d])"),  # as the pattern's own engine reads \d
        (re.compile(r"(?x) (?<![0-9]) [1-9] [0-9]*"), r"(?=[\U00000031-\U00000039])"),
        (re.compile(r"(?s)(a|bc)?d"), r"(?=[\U00000061\U00000062\U00000064])"),  # an optional group: what follows too
        (re.compile(r"x?"), None),  # may match the empty string
        (re.compile(r"[^\n]+"), None),  # negated: too broad to narrow
        (re.compile(r"\w+"), None),
        (re.compile(r"abc", re.IGNORECASE), r"(?=[\U00000061])"),  # which the engine reads ignoring case too
    ],
)
def test_first_characters(pattern, first):
    assert first_characters(pattern) == first


@pytest.mark.parametrize(
    "pattern, first",
    [
        (re.compile(r"pieds? diabeti"), None),  # a leading literal, which re finds 10 times faster alone
        (regex.compile(r"(?<!sans )compli"), None),  # regex jumps to a literal behind a look-behind too
        (re.compile(r"(?<!pyelo)nephrite"), r"(?=[\U0000006e])"),  # re does not
        (re.compile(r"((\d\d )){3,}\d\d"), r"(?=[\d])"),
    ],
)
def test_a_look_ahead_only_where_it_helps(pattern, first):
    assert lookahead(pattern) == first


@pytest.fixture(scope="module")
def date_finders(date_patterns):
    finders = [(p, _finder(p, first_characters(body_of(p) or p))) for p in date_patterns]
    assert sum(f is not None for _, f in finders) >= 15
    return [(p, f) for p, f in finders if f is not None]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789 /-.:hjanvierfévmarsdecmbrlu\u00a0\nàpartiydpuis", max_size=80))
def test_finders_find_what_the_patterns_find(date_finders, text):
    for pattern, finder in date_finders:
        expected = [(m.span(), m.groupdict()) for m in pattern.finditer(text)]
        assert [(m.span(), m.groupdict()) for m in _where_found(pattern, finder, text)] == expected


@pytest.fixture(scope="module")
def date_skippers(date_patterns):
    skippers = []
    for p in date_patterns:
        first, guard = lookahead(body_of(p) or p), relaxed(p)
        if body_of(p) is not None and first is not None and guard is not None:
            skippers.append((p, _finder(p, first), re2.compile(guard)))
    assert len(skippers) >= 15
    return skippers


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["le 12/03/2020", "depuis le 3 mars 2021", "12 34 56 78", "à partir du 1er mai", "130/80", "é", "\u00a0", " ", "\n", "2019", "du 2 au 4 avril"]), max_size=12))
def test_skipping_finds_what_the_patterns_find(date_skippers, parts):
    text = " ".join(parts)  # accents and no-break spaces: byte and character offsets differ
    for pattern, finder, guard in date_skippers:
        expected = [(m.span(), m.groupdict()) for m in pattern.finditer(text)]
        assert [(m.span(), m.groupdict()) for m in _where_found_skipping(pattern, finder, guard, text, text.encode())] == expected


def test_text_re2_cannot_read_goes_unguarded():
    assert _utf8("caf\udcc3") is None
    assert _utf8("café") == "café".encode()


def test_shortcuts_are_compiled_only_once_a_long_text_comes(nlp):
    import pickle

    matcher = pickle.loads(pickle.dumps(nlp.get_pipe("dates").regex_matcher))
    assert "_compiled" not in matcher.__dict__
    short = nlp.make_doc("Revu le 12/03/2020 à 14h.")
    long = nlp.make_doc("Patient revu en consultation, pas de plainte particulière. " * 4 + "Revu le 12/03/2020 à 14h.")
    spans = [(s.start, s.end, s.label_) for s in matcher(short, as_spans=True)]
    assert spans and "_compiled" not in matcher.__dict__  # a sentence: searched as EDS-NLP searches it
    assert [(s.start, s.end, s.label_) for s in matcher(long, as_spans=True)][-len(spans):] == [(a + len(long) - len(short), b + len(long) - len(short), k) for a, b, k in spans]
    assert "_compiled" in matcher.__dict__
