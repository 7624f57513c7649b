"""Cohorts from criteria written in words: a study's inclusion and exclusion criteria, in French
or English, drafted into a cohort definition, criterion by criterion, for the user to correct
before running.

``draft(text)`` cuts the text into sections (under "Critères d'inclusion", "Critères de
non-inclusion", "Exclusion criteria" ...; inclusion before any heading), clauses (lines,
bullets, ";", sentences) and pieces (at ",", "et"/"and", "ou"/"or", "ni", parentheses and
before a negation cue). A piece under the exclusion heading, or negated ("sans", "pas de",
"absence de", "without", "no", "not", ...), is an exclusion -- both at once is an inclusion. A
negation carries over "ou"/"ni" ("sans IRC ni dialyse") and over a list of commas ending so.
What each piece names comes from ``criteria_match`` (ages, sexes, visits, measurements with
their bounds and units, conditions and drugs through the NLP lexicon and the terminology);
medical words it does not code become a text criterion, searched in the notes. Nothing is
dropped: a word that is no grammar word is in a criterion's ``text`` or in ``not_understood``.

>>> d = draft("patients de 40 à 75 ans avec un diabète de type 2, HbA1c > 8 %, sans insuffisance rénale chronique")
>>> [(c["where"], c["criterion"]["type"]) for c in d["criteria"]]
[('inclusion', 'demographics'), ('inclusion', 'condition'), ('inclusion', 'measurement'), ('exclusion', 'condition')]
>>> d["definition"]["exclusion"][0]["codes"], d["not_understood"]
(['N18*'], [])
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache

from clinsearch.cohort import labels
from clinsearch.cohort.criteria_match import claim, medical, objects, query_of
from clinsearch.cohort.criteria_say import reading
from clinsearch.cohort.criteria_text import Found, fold, role, roles, text_of, tokens, words
from clinsearch.cohort.definition import MAX_CRITERIA, DefinitionError, read
from clinsearch.nlp.lexicon import LEXICON
from clinsearch.search import spelling

MAX_SECTION = 50  # the schema's maxItems
CRITERIA = ("age", "age_group", "sex", "visit", "measurement", "condition", "drug", "text")
DEMOGRAPHICS = ("age", "age_group", "sex")
PROBLEMS = ("duration", "unattached", "bad_unit", "relative")
CUES = ("negation", "exclusion_cue", "exception")  # the roles that deny what follows them (criteria_text.roles)
_MARKER = re.compile(r"^\s*(?:[-*+•▪◦·–—>]|\d{1,2}[.)]|[a-zA-Z][.)]|\(?[ivxIVX]{1,4}[.)])\s+")
_LINE = re.compile(r"[^\n\r]+")
_CLAUSE_END = re.compile(r"[;•▪◦·]|\.(?=\s|$)")


@dataclass
class Segment:
    joiner: str | None  # ",", "(", "and", "or", or None (a negation cue began it)
    negating: bool = False  # its joiner denies too ("ni", "nor")
    negated: bool = False
    cue: str = ""
    cue_at: int | None = None  # the token of its own negation cue
    cue_kind: str = "negation"  # or "exclusion_cue" (excluded whatever the heading), "exception" (taken out of what precedes)
    items: list = field(default_factory=list)  # Found, or (token index, role)

    def has_content(self) -> bool:
        return any(isinstance(x, Found) or x[1] in ("content", "qualifier") for x in self.items)


@lru_cache(maxsize=1)
def _language_words() -> dict[str, frozenset[str]]:
    """Per language, its grammar markers and the words of the lexicon's terms that only it has."""
    lexicon = {lang: {w for entry in LEXICON.values() for term in entry.terms[lang] for w in fold(term).split()} for lang in ("fr", "en")}
    return {lang: frozenset({fold(w) for w in words()["markers"][lang]} | (lexicon[lang] - lexicon["en" if lang == "fr" else "fr"]))
            for lang in ("fr", "en")}


def detect(text: str) -> str:
    """"fr" or "en": the grammar words and medical terms of which language the text has more of (French when even)."""
    keys = [t.key for t in tokens(text)]
    counts = {lang: sum(k in _language_words()[lang] for k in keys) for lang in ("fr", "en")}
    counts["fr"] += min(5, len(re.findall(r"[éèêàùçôî]", text.lower())))
    return "en" if counts["en"] > counts["fr"] else "fr"


@lru_cache(maxsize=1)
def _headings() -> re.Pattern:
    h = words()["headings"]
    return re.compile("|".join(f"(?P<{kind}{i}>(?<![\\w-]){p})" for kind in ("exclusion", "inclusion") for i, p in enumerate(h[kind])))


def sections(text: str) -> list[tuple[int, int, str]]:
    """(start, end, "inclusion" | "exclusion") of the text under each heading (the heading left out)."""
    out, at, section = [], 0, "inclusion"
    for match in _headings().finditer(fold(text)):
        out.append((at, match.start(), section))
        section = "exclusion" if match.lastgroup.startswith("exclusion") else "inclusion"
        at = match.end()
        while at < len(text) and text[at] in " \t:：-–—":
            at += 1
    out.append((at, len(text), section))
    return [(s, e, k) for s, e, k in out if text[s:e].strip()]


def clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Lines without their list markers, cut at ";", bullets and the end of sentences."""
    out = []
    for line in _LINE.finditer(text, start, end):
        at = line.start() + (len(m.group()) if (m := _MARKER.match(line.group())) else 0)
        for cut in _CLAUSE_END.finditer(text, at, line.end()):
            out.append((at, cut.start()))
            at = cut.end()
        out.append((at, line.end()))
    return [(s, e) for s, e in out if text[s:e].strip()]


class _Draft:
    def __init__(self, text: str, lang: str):
        self.text, self.lang, self.say = text, lang, words()["messages"][lang]
        self.entries: list[dict] = []
        self.not_understood: list[str] = []
        self.warnings: list[str] = []
        self.segments = 0
        self.first = ""

    # -- one clause ---------------------------------------------------------------------------
    def clause(self, start: int, end: int, section: str) -> None:
        toks = tokens(self.text, start, end)
        if not toks:
            return
        self.first = self.first or self.text[start:end]
        grammar = roles(toks)
        plain = {i: role(r)[0] for i, r in grammar.items()}
        found = claim(self.text, toks, self.lang, {i for i, r in plain.items() if r not in ("content", "qualifier")},
                      {i for i, r in plain.items() if r == "qualifier"})
        by_first = {f.first: f for f in found}
        segments, current, i = [], Segment(None), 0
        while i < len(toks):
            if i in by_first:
                current.items.append(by_first[i])
                i = by_first[i].last + 1
                continue
            name, length = role(grammar[i])
            if name in (",", "(", "or", "and"):
                segments.append(current)
                words_of = text_of(toks, i, i + length - 1)
                current = Segment(name, negating=name == "or" and fold(words_of) in {fold(w) for w in words()["negations"]})
                current.cue = words_of if current.negating else ""
            elif name == "excluded":  # "patientes enceintes exclues", "X or Y are excluded": the sentence is an exclusion
                for segment in (*segments, current):
                    segment.negated, segment.cue = True, text_of(toks, i, i + length - 1)
            elif name in CUES and not current.has_content():
                current.negated, current.cue, current.cue_at, current.cue_kind = True, text_of(toks, i, i + length - 1), i, name
            elif name in CUES and current.has_content() and _names_next(toks, plain, by_first, i + length):  # "DT2 sans insuline", "patients obèses non diabétiques"
                segments.append(current)
                current = Segment(None, negated=True, cue=text_of(toks, i, i + length - 1), cue_at=i, cue_kind=name)
            elif name in CUES:  # a negation of words not understood is theirs: "consentement non signé", "FA non valvulaire"
                current.items.extend((j, "content") for j in range(i, i + length))
            else:
                current.items.extend((j, name) for j in range(i, i + length))
            i += length
        segments.append(current)
        segments = [s for s in segments if s.has_content()]
        for k, segment in enumerate(segments):
            self._inherit(segments, k)
            self.segments += 1
            self._segment(segment, section, toks)

    @staticmethod
    def _inherit(segments: list[Segment], k: int) -> None:
        """A negation carried over "ou"/"ni" and over commas before an "ou": "sans IRC, IC ou cirrhose"."""
        segment = segments[k]
        if segment.negated:
            return
        previous = segments[k - 1] if k else None
        if segment.negating:
            segment.negated = True
        elif previous is not None and previous.negated:
            if segment.joiner in ("or", "("):
                segment.negated = True
            elif segment.joiner == ",":
                later = next((s.joiner for s in segments[k + 1:] if s.joiner != ","), None)
                segment.negated = later == "or"
            segment.cue = previous.cue if segment.negated else ""
            segment.cue_kind = previous.cue_kind if segment.negated else "negation"

    def _segment(self, segment: Segment, section: str, toks) -> None:
        if segment.negated and segment.cue_kind == "exception" and section == "exclusion":  # "Exclusion : anticoagulants sauf AOD"
            self._exception_in_exclusion(segment, toks)
            return

        def context(negated: bool) -> dict:
            always = negated and segment.cue_kind == "exclusion_cue"  # "Exclusion criteria: exclude patients with stroke"
            exclusion = always or (section == "exclusion") != negated
            reason = ("exclusion_negation" if negated else "exclusion_heading") if exclusion else ("inclusion_double" if negated else "")
            return {"where": "exclusion" if exclusion else "inclusion", "reason": reason, "cue": segment.cue, "segment": self.segments,
                    "joiner": segment.joiner, "exclusion": exclusion}
        segment.items = objects(segment.items, toks)
        criteria = [x for x in segment.items if isinstance(x, Found) and x.kind in CRITERIA]
        runs, run = [], []
        for item in segment.items:  # the words between criteria (problems included)
            if isinstance(item, Found) and item.kind in CRITERIA:
                runs.append(run)
                run = []
            else:
                run.append(item)
        runs.append(run)
        coded = any(f.kind in ("condition", "drug", "measurement", "text") for f in criteria)
        others = len(criteria) > 1 or any(self._content(r) for r in runs)
        for n, run in enumerate(runs):
            made = self._run(run, toks, coded, segment.cue_at if n == 0 and not segment.joiner else None)
            if made is not None:
                criteria.append(made)
        ages = [f for f in criteria if f.kind in ("age", "age_group")]
        if len(ages) > 1:
            criteria = [f for f in criteria if f not in ages[1:]]
            ages[0].why["merged"] = ages[1:]
        named = False  # a negated thing named: the patient's age or sex after it is not negated ("BPCO non fumeurs de plus de 40 ans")
        for f in sorted(criteria, key=lambda f: f.first):
            here = context(segment.negated and not (named and f.kind in DEMOGRAPHICS))
            named = named or f.kind not in DEMOGRAPHICS
            if f.kind == "sex" and here["exclusion"] and others:
                self._entry(f, toks, None, self.say["sex_in_exclusion"].format(words=self._words(toks, f)), here)
            else:
                self._entry(f, toks, *reading(f, self._words(toks, f), self.lang), here)

    def _exception_in_exclusion(self, segment: Segment, toks) -> None:
        """An exception to an exclusion ("exclude X except Y" is "X and not Y"), which separate
        criteria cannot say: reported, with its cue, rather than turned into an inclusion of Y."""
        at = [x.first if isinstance(x, Found) else x[0] for x in segment.items] + [x.last if isinstance(x, Found) else x[0] for x in segment.items]
        first = min(at + ([segment.cue_at] if segment.cue_at is not None else []))
        self.not_understood.append(text_of(toks, first, max(at)))
        self.warnings.append(self.say["exception_in_exclusion"].format(words=self.not_understood[-1]))

    def _content(self, run: list) -> bool:
        return any(isinstance(x, Found) or x[1] in ("content", "qualifier") for x in run)

    def _run(self, run: list, toks, coded: bool, cue_at: int | None) -> Found | None:
        """The words of a piece no recogniser took: a text criterion when they are medical words
        and nothing else in the piece is coded, else not understood (and why)."""
        while run and not isinstance(run[0], Found) and run[0][1] not in ("content", "qualifier"):
            run = run[1:]
        while run and not isinstance(run[-1], Found) and run[-1][1] not in ("content", "qualifier"):
            run = run[:-1]
        if not run:
            return None
        first = run[0].first if isinstance(run[0], Found) else run[0][0]
        last = run[-1].last if isinstance(run[-1], Found) else run[-1][0]
        written = text_of(toks, first, last)
        problems = [x for x in run if isinstance(x, Found)]
        content = [toks[x[0]] for x in run if not isinstance(x, Found) and x[1] == "content"]
        if not problems and content and not coded and all(medical(t) for t in content) \
                and any(len(t.key) >= spelling.SHORTEST and spelling.known(t.text) for t in content):
            core = [x for x in run]
            while core[0][1] != "content":  # qualifiers at the edges are reported, not searched ("severe hepatic impairment")
                core = core[1:]
            while core[-1][1] != "content":
                core = core[:-1]
            a, b = core[0][0], core[-1][0]
            for edge in ([x for x in run if x[0] < a], [x for x in run if x[0] > b]):
                qualifiers = [x[0] for x in edge if x[1] == "qualifier"]
                if qualifiers:
                    self.not_understood.append(text_of(toks, qualifiers[0], qualifiers[-1]))
                    self.warnings.append(self.say["qualifier"].format(words=self.not_understood[-1]))
            phrase = query_of(text_of(toks, a, b))
            return Found(a, b, "text", {"type": "text", "query": phrase}, {"query": phrase, "free": True})
        self.not_understood.append(text_of(toks, cue_at, last) if cue_at is not None and cue_at < first else written)
        for problem in problems:
            self.warnings.append(self.say[problem.kind].format(words=text_of(toks, problem.first, problem.last), **problem.why))
        if not problems and not content:
            self.warnings.append(self.say["qualifier"].format(words=written))
        return None

    # -- what a criterion says ------------------------------------------------------------------
    def _words(self, toks, f: Found) -> str:
        return text_of(toks, f.first, f.last)

    def _entry(self, f: Found, toks, criterion: dict | None, said: str, context: dict) -> None:
        first, last = min([f.first, *(m.first for m in f.why.get("merged", []))]), max([f.last, *(m.last for m in f.why.get("merged", []))])
        if context["reason"]:
            said += "; " + self.say[context["reason"]].format(cue=context["cue"])
        self.entries.append({"text": text_of(toks, first, last), "understood": True, "criterion": criterion, "where": context["where"],
                             "explanation": said, "_segment": context["segment"], "_joiner": context["joiner"]})

    # -- the draft -----------------------------------------------------------------------------
    def result(self) -> dict:
        self._alternatives()
        self._both_sexes()
        self._duplicates()
        self._checked()
        definition = {"name": self._name(), "description": self.text[:5000], "inclusion": [], "exclusion": []}
        for entry in self.entries:
            if entry["criterion"] is None:
                continue
            if len(definition[entry["where"]]) >= MAX_SECTION or len(definition["inclusion"]) + len(definition["exclusion"]) >= MAX_CRITERIA:
                self.not_understood.append(entry["text"])
                self.warnings.append(self.say["too_many"].format(n=MAX_SECTION))
                entry["criterion"] = None
                continue
            definition[entry["where"]].append(entry["criterion"])
        parsed = read(definition)
        positions = {"inclusion": iter(parsed.inclusion), "exclusion": iter(parsed.exclusion)}
        out = []
        for entry in self.entries:
            label = labels.criterion(next(positions[entry["where"]]), self.lang) if entry["criterion"] is not None else None
            out.append({k: v for k, v in entry.items() if not k.startswith("_")} | {"label": label})
        return {"definition": definition, "criteria": out, "not_understood": self.not_understood,
                "warnings": list(dict.fromkeys(self.warnings)), "language": self.lang}

    def _alternatives(self) -> None:
        """Inclusions joined by "ou": one condition (or drug) with the codes of both; of different kinds, said."""
        kept: list[dict] = []
        seen: set[int] = set()
        for entry in self.entries:
            previous = next((e for e in reversed(kept) if e["_segment"] == entry["_segment"] - 1), None)
            first, _ = entry["_segment"] not in seen, seen.add(entry["_segment"])  # the joiner is before a piece's first criterion only
            if first and entry["_joiner"] == "or" and entry["where"] == "inclusion" and previous is not None and previous["where"] == "inclusion" \
                    and previous["criterion"] is not None and entry["criterion"] is not None:
                a, b = previous["criterion"], entry["criterion"]
                if a["type"] == b["type"] and a["type"] in ("condition", "drug"):
                    a["codes"] = list(dict.fromkeys(a["codes"] + b["codes"]))
                    a["name"] = f"{a.get('name', '')} {'ou' if self.lang == 'fr' else 'or'} {b.get('name', '')}".strip()
                    previous["text"] += f" {'ou' if self.lang == 'fr' else 'or'} {entry['text']}"
                    previous["explanation"] += "; " + self.say["or_merged"]
                    previous["_segment"] = entry["_segment"]
                    continue
                entry["explanation"] += "; " + self.say["or_kept"]
            kept.append(entry)
        self.entries = kept

    def _both_sexes(self) -> None:
        sexes = [e for e in self.entries if e["where"] == "inclusion" and e["criterion"] and set(e["criterion"]) == {"type", "sex"}]
        if {e["criterion"]["sex"] for e in sexes} == {"F", "M"}:
            for entry in sexes:
                entry["criterion"], entry["explanation"] = None, self.say["both_sexes"]

    def _duplicates(self) -> None:
        seen: dict[str, dict] = {}
        kept = []
        for entry in self.entries:
            key = json.dumps([entry["where"], {k: v for k, v in (entry["criterion"] or {}).items() if k != "name"}], sort_keys=True)
            if entry["criterion"] is not None and key in seen:
                seen[key]["text"] += f" / {entry['text']}"
                continue
            seen[key] = entry
            kept.append(entry)
        self.entries = kept

    def _checked(self) -> None:
        """Every criterion as the definition reads it: unknown codes left out, a refused criterion not understood."""
        kept = []
        for entry in self.entries:
            criterion = entry["criterion"]
            if criterion is not None and "codes" in criterion:
                good = [c for c in criterion["codes"] if _refusal({**criterion, "codes": [c]}) is None]
                for code in criterion["codes"]:
                    if code not in good:
                        self.warnings.append(self.say["unknown_code"].format(code=code))
                criterion["codes"] = good
            error = _refusal(criterion) if criterion is not None and criterion.get("codes", True) else "no code"
            if criterion is not None and error is not None:
                self.not_understood.append(entry["text"])
                self.warnings.append(self.say["refused"].format(words=entry["text"], error=error))
                continue
            kept.append(entry)
        self.entries = kept

    def _name(self) -> str:
        start = " ".join(self.first.split() or self.text.split())  # the first clause, without its heading or bullet
        return self.say["name"].format(start=start[:60] + ("…" if len(start) > 60 else ""))[:200]


def _names_next(toks, plain: dict[int, str], by_first: dict[int, Found], at: int) -> bool:
    """Whether a criterion is named right after ``at`` (grammar words skipped): "sans [traitement par] insuline"."""
    while at < len(toks) and at not in by_first and plain[at] in ("filler", "punctuation"):
        at += 1
    return at in by_first and by_first[at].kind not in PROBLEMS


def _refusal(criterion: dict) -> str | None:
    try:
        read({"name": "draft", "inclusion": [criterion]})
    except DefinitionError as exc:
        return str(exc)
    return None


def draft(text: str, lang: str | None = None) -> dict:
    """The draft cohort of criteria written in words (module docstring): ``{"definition",
    "criteria": [{"text", "understood", "criterion", "where", "explanation", "label"}],
    "not_understood", "warnings", "language"}``; ``lang`` ("fr", "en"): the language of the
    explanations and labels (else the text's)."""
    language = lang if lang in ("fr", "en") else detect(text)
    made = _Draft(text, language)
    for start, end, section in sections(text):
        for clause_start, clause_end in clauses(text, start, end):
            made.clause(clause_start, clause_end, section)
    return made.result()
