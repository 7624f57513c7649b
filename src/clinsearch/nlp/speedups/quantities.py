# Contains code copied from EDS-NLP 0.23 (https://github.com/aphp/edsnlp) and changed: the
# methods of ``QuickQuantities`` below its "EDS-NLP 0.23's methods" line are those of
# ``QuantitiesMatcher`` (edsnlp/pipes/misc/quantities/quantities.py), ``doc[a:b].text`` read by
# ``_between``. Copyright 2021 Assistance Publique - Hôpitaux de Paris (AP-HP); BSD 3-Clause
# licence, whose text is in LICENSE-EDSNLP next to this file.
"""EDS-NLP's measurements pipe (``eds.quantities``) without the spans it makes only to read the
text between two matches, with the same output.

``eds.quantities`` finds some 200 matches in a note of 1,600 characters (numbers, units, stop
words, sentence ends) and, between each two, asks whether the text there is blank or holds a word:
``doc[a:b].text``, a span made and joined token by token each time -- 4,000 spans a note, most of
the pipe's 3.6 ms, the slowest pipe of all (benchmarks/nlp_speed.py). ``QuickQuantities`` reads
the same text as a slice of the note, from the tokens' offsets read once per note, in the five
methods that ask it (EDS-NLP 0.23's code otherwise unchanged; the tests compare the two on notes
and on sentences made for units, ranges and lists of values). Sentence ends are read as an array
too, and the numbers EDS-NLP reads with ``eval`` are remembered (``number``). 3.6 → 2.4 ms a note.
``apply_to(nlp)`` makes a pipeline's ``quantities`` pipe one, ``remove_from(nlp)`` gives it
EDS-NLP's class back.
"""

from __future__ import annotations

import re
import types
from collections import deque
from functools import lru_cache
from itertools import repeat

from edsnlp.pipes.misc.quantities.quantities import QuantitiesMatcher
from edsnlp.utils import doc_to_text
from edsnlp.utils.filter import filter_spans, get_span_group
from spacy.attrs import SENT_START
from spacy.tokens import Doc, Span

def between(text: str, starts: list[int], ends: list[int], start: int, end: int) -> str:
    """The text from token ``start`` to token ``end`` (excluded) as spaCy's ``doc[start:end].text``
    reads it, from the tokens' first and last character offsets."""
    return text[starts[start] : ends[end - 1]] if end > start else ""


@lru_cache(maxsize=4096)
def number(text: str):
    """``eval(text)``, as EDS-NLP reads the numbers its pattern matched ("12.5", "1/2", "3"),
    remembered: compiling one costs 6 µs, some 50 times a note."""
    return eval(text)


def _remembering_numbers(function):
    """``function``, EDS-NLP's code unchanged, with ``number`` in place of ``eval``."""
    copy = types.FunctionType(function.__code__, {**function.__globals__, "eval": number}, function.__name__,
                              function.__defaults__, function.__closure__)
    copy.__kwdefaults__, copy.__qualname__, copy.__doc__ = function.__kwdefaults__, function.__qualname__, function.__doc__
    return copy


class QuickQuantities(QuantitiesMatcher):
    """``eds.quantities`` reading the text between matches as slices of the note (see the module)."""

    def __call__(self, doc: Doc) -> Doc:
        # the note's text and its tokens' offsets, as EDS-NLP's matchers read them: called as
        # they call it, so that its cache answers (a call written otherwise is another key)
        text, starts, ends, _ = doc_to_text.aggregate_tokens(doc, "TEXT", ignore_excluded=False, ignore_space_tokens=False)
        self.__dict__["_offsets"] = (doc, text, starts, ends)
        try:
            return super().__call__(doc)
        finally:
            self.__dict__.pop("_offsets", None)

    def _between(self, doc: Doc, start: int, end: int) -> str:
        """``doc[start:end].text`` for token indices ``0 <= start, end <= len(doc)``."""
        offsets = self.__dict__.get("_offsets")
        if offsets is None or offsets[0] is not doc:
            return doc[start:end].text
        return between(*offsets[1:], start, end)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_offsets", None)
        return state

    # -- EDS-NLP 0.23's methods, ``doc[a:b].text`` read by ``_between`` ------------------------

    extract_quantities = _remembering_numbers(QuantitiesMatcher.extract_quantities)

    def get_matches(self, doc):
        if not isinstance(doc, Doc):
            return super().get_matches(doc)
        starts = doc.to_array([SENT_START]).tolist() if len(doc) else []
        sent_ends = [doc[i : i + 1] for i in range(len(doc)) if i + 1 == len(doc) or starts[i + 1] == 1]

        regex_matches = list(self.regex_matcher(doc, as_spans=True))
        term_matches = list(self.term_matcher(doc, as_spans=True))

        units = self.extract_units(term_matches)
        unit_label_hashes = {unit.label for unit in units}

        non_unit_terms = [term for term in term_matches if term.label not in self.unit_part_label_hashes]

        ents = (e for e in doc.ents if e.label_ not in self.measure_names.values())
        spans__keep__is_sent_end = filter_spans(
            [
                *zip(get_span_group(doc, "dates"), repeat(False), repeat(False)),
                *zip(regex_matches, repeat(True), repeat(False)),
                *zip(non_unit_terms, repeat(True), repeat(False)),
                *zip(units, repeat(True), repeat(False)),
                *zip(ents, repeat(False), repeat(False)),
                *zip(sent_ends, repeat(True), repeat(True)),
            ]
        )
        matches_and_is_sentence_end = sorted(
            [(span, is_sent_end) for span, keep, is_sent_end in spans__keep__is_sent_end if keep]
        )
        return matches_and_is_sentence_end, unit_label_hashes

    def extract_units(self, term_matches):
        last = None
        units = []
        current = []
        for unit_part in filter_spans(term_matches):
            if unit_part.label not in self.unit_part_label_hashes:
                continue
            gap_text = self._between(unit_part.doc, last.end, unit_part.start) if last is not None else ""
            if last is not None and (
                ((gap_text.strip() != "" or "\n" in gap_text) and len(current))
                or (not self.compose_units and len(current) and current[-1].label_ != "per")
            ):
                doc = current[0].doc
                end = next((i for i, e in list(enumerate(current))[::-1] if e.label_ != "per"), None)
                if end is not None:
                    unit = "_".join(part.label_ for part in current[: end + 1])
                    units.append(Span(doc, current[0].start, current[end].end, unit))
                current = []
                last = None
            current.append(unit_part)
            last = unit_part

        end = next((i for i, e in list(enumerate(current))[::-1] if e.label_ != "per"), None)
        if end is not None:
            doc = current[0].doc
            unit = "_".join(part.label_ for part in current[: end + 1])
            units.append(Span(doc, current[0].start, current[end].end, unit))
        return units

    def make_pseudo_sentence(self, doclike, matches, pseudo_mapping):
        pseudo = []
        snippet = doclike if isinstance(doclike, Span) else doclike[:]
        last = snippet.start
        offsets = []
        doc = doclike.doc
        for ent, is_sent_split in matches:
            if ent.start != last and self._between(doc, last, ent.start).strip() != "":
                pseudo.append("w")
            offsets.append(len(pseudo))
            pseudo.append(pseudo_mapping.get(ent.label, "." if is_sent_split else "w"))
            last = ent.end
        if snippet.end != last and self._between(doc, last, snippet.end).strip() == "":
            pseudo.append("w")
        return "".join(pseudo), offsets

    def get_span_operator(self, matches, match_idx):
        operator = "="
        operator_span = None
        match = matches[match_idx][0]
        for prev_idx in range(match_idx - 1, -1, -1):
            ent, is_sent_end = matches[prev_idx]
            if is_sent_end:
                break
            if ent.label in self.operator_label_hashes:
                if self._between(match.doc, ent.end, match.start).strip() == "":
                    operator = ent.label_
                    operator_span = ent
                break
            if ent.label in self.number_label_hashes or ent.label in self.unit_part_label_hashes:
                break
            if self._between(match.doc, ent.end, match.start).strip() != "":
                break
        return operator, operator_span

    def prepare_unitless_matches(self, matches):
        prepared_matches = []
        mapping = {}
        grouped_numbers = set()
        pending_unitless = deque()
        prev = None
        grouped_value_chain = False

        def add_match(span: Span, is_sent_end: bool) -> int:
            prepared_matches.append((span, is_sent_end))
            return len(prepared_matches) - 1

        def add_to_group(span: Span, is_sent_end: bool) -> None:
            grouped_numbers.add(add_match(span, is_sent_end))

        for match, is_sent_end in matches:
            gap_text = self._between(match.doc, prev.end, match.start) if prev is not None else ""
            has_word_gap = bool(WORD.search(gap_text))
            ignore_unitless_header = (
                bool(pending_unitless) and match.label in self.unitless_label_hashes and "/" in gap_text and has_word_gap
            )
            if has_word_gap:
                pending_unitless.clear()
                grouped_value_chain = ignore_unitless_header

            if is_sent_end:
                pending_unitless.clear()
                grouped_value_chain = False
                add_match(match, is_sent_end)
                prev = match
                continue

            if match.label in self.unitless_label_hashes:
                match_idx = add_match(match, is_sent_end)
                prev = match
                if ignore_unitless_header:
                    continue

                grouped_value_chain = False
                current_name = self.unitless_patterns[match.label_]["name"]
                last_name = (
                    self.unitless_patterns[prepared_matches[pending_unitless[-1]][0].label_]["name"]
                    if pending_unitless
                    else None
                )
                if current_name != last_name:
                    pending_unitless.append(match_idx)
                continue

            if match.label in self.number_label_hashes:
                prev = match
                if grouped_value_chain:
                    add_to_group(match, is_sent_end)
                    continue

                # split slash-separated values like `57/22/150` into multiple matches
                split_numbers = []
                tokens = list(match)
                if len(tokens) >= 3 and len(tokens) % 2 == 1:
                    for i, token in enumerate(tokens):
                        if i % 2 == 0:
                            split_numbers.append(Span(match.doc, token.i, token.i + 1, label="number"))
                        elif token.norm_ != "/":
                            split_numbers = None
                            break
                else:
                    split_numbers = None

                if split_numbers and len(split_numbers) > 1:
                    if pending_unitless and len(split_numbers) == len(pending_unitless):
                        for i, part in enumerate(split_numbers):
                            mapping[add_match(part, False)] = pending_unitless.popleft()
                            if i < len(split_numbers) - 1:
                                slash = part.doc[part.end : split_numbers[i + 1].start]
                                add_match(Span(part.doc, slash.start, slash.end, label="stopword"), False)
                        continue

                    if pending_unitless:
                        grouped_value_chain = True
                        pending_unitless.clear()
                        add_to_group(match, is_sent_end)
                        continue

                number_idx = add_match(match, is_sent_end)
                if pending_unitless:
                    mapping[number_idx] = pending_unitless.popleft()
                continue

            add_match(match, is_sent_end)
            prev = match

        return prepared_matches, mapping, grouped_numbers


WORD = re.compile(r"\w")


def apply_to(nlp) -> int:
    """Make ``nlp``'s ``quantities`` pipe, if it has one, a ``QuickQuantities``, in place."""
    if "quantities" not in nlp.pipe_names or type(nlp.get_pipe("quantities")) is not QuantitiesMatcher:
        return 0
    nlp.get_pipe("quantities").__class__ = QuickQuantities
    return 1


def remove_from(nlp) -> int:
    """Give ``nlp``'s ``quantities`` pipe EDS-NLP's class back."""
    if "quantities" not in nlp.pipe_names or type(nlp.get_pipe("quantities")) is not QuickQuantities:
        return 0
    nlp.get_pipe("quantities").__class__ = QuantitiesMatcher
    return 1
