"""The phrase matchers of the cached pipeline: pickled whole -- class and skipping switches kept
(nlp/pickling.py, with the speed-ups on or off) -- and, with the speed-ups' pickling
(nlp/speedups/matchers.py), lazy, answering the same matches in the same order as a matcher
filled at once."""

from __future__ import annotations

import io
import pickle

import pytest
import spacy
from edsnlp.matchers.phrase import EDSPhraseMatcher
from spacy.tokens import Doc

from clinsearch.nlp import pickling
from clinsearch.nlp.annotate import entities
from clinsearch.nlp.pipeline import build_french, dump
from clinsearch.nlp.speedups import matchers
from tests.nlp.modes import global_speedups

POLLUTED = [
    "Insuffisance ====== cardiaque décompensée.",  # the normaliser excludes the bar
    "Suspicion d'embolie ====== pulmonaire, pas de ===== fièvre.",
    "Patient sans =========== insuffisance cardiaque.",
]


@pytest.fixture(scope="module")
def fresh():
    return build_french(full=False)


@pytest.fixture
def lazy_pickling():
    """The speed-ups' pickling of phrase matchers (copyreg) in place, whatever the switch."""
    with global_speedups(on=True):
        yield


def found(nlp, text: str) -> list[tuple]:
    return [(e.start, e.end, e.label, e.code, e.negated, e.hypothesis) for e in entities(nlp(text))]


def cached(obj):
    """``obj`` written and read back as the pipeline cache writes and reads it."""
    written = io.BytesIO()
    dump(obj, written)
    return pickle.loads(written.getvalue())


@pytest.mark.parametrize("lazy", [False, True], ids=["plain", "speedups"])
def test_a_cached_pipeline_still_skips_the_tokens_the_normaliser_excluded(fresh, lazy):
    with global_speedups(on=lazy):
        copy = cached(fresh)
    for text in POLLUTED:
        assert found(copy, text) == found(fresh, text)
    assert ("Insuffisance ====== cardiaque", "I50") in [(e.text, e.code) for e in entities(copy(POLLUTED[0]))]
    assert type(copy.get_pipe("lexicon").phrase_matcher) is (matchers.LazyPhraseMatcher if lazy else EDSPhraseMatcher)


def test_pickle_s_own_way_loses_the_matcher_s_class(fresh):
    """What the cache's pickling is for: spaCy's makes a plain PhraseMatcher, which does not skip."""
    with global_speedups(on=False):
        copy = pickle.loads(pickle.dumps(fresh.get_pipe("lexicon").phrase_matcher))
    assert type(copy) is not EDSPhraseMatcher


@pytest.mark.parametrize("excluded, spaces", [(False, False), (True, False), (False, True), (True, True)])
def test_the_skipping_switches_are_read_back_and_the_probe_leaves_nothing(excluded, spaces, lazy_pickling):
    vocab = spacy.blank("fr").vocab
    matcher = EDSPhraseMatcher(vocab, attr="ORTH", ignore_excluded=excluded, ignore_space_tokens=spaces)
    matcher.add("K", [Doc(vocab, words=["a", "b"])])
    assert pickling.switches_of(matcher) == (excluded, spaces)
    assert pickling.PROBE_KEY not in matcher and len(matcher) == 1
    copy = pickle.loads(pickle.dumps(matcher))
    assert copy.switches == (excluded, spaces) and len(copy) == 1
    with global_speedups(on=False):
        whole = cached(matcher)
    assert type(whole) is EDSPhraseMatcher and pickling.switches_of(whole) == (excluded, spaces) and len(whole) == 1


def phrase_docs(vocab, texts):
    return [Doc(vocab, words=t.split()) for t in texts]


def test_a_lazy_matcher_matches_like_a_full_one_in_the_same_order(monkeypatch, lazy_pickling):
    vocab = spacy.blank("fr").vocab
    eager = EDSPhraseMatcher(vocab, attr="ORTH", ignore_excluded=False)
    # Two keys on the same phrase (ties are kept in the trie's order), nested and overlapping phrases.
    eager.add("DIAB", phrase_docs(vocab, ["diabète", "diabète de type 2", "DT2"]))
    eager.add("T2", phrase_docs(vocab, ["diabète de type 2", "type 2"]))
    eager.add("IC", phrase_docs(vocab, ["insuffisance cardiaque", "insuffisance cardiaque gauche", "IC"]))
    eager.add("IR", phrase_docs(vocab, ["insuffisance rénale", "IRC"]))
    for key in range(300):  # keys never matched below
        eager.add(f"X{key}", phrase_docs(vocab, [f"mot{key} suivant{key}"]))
    monkeypatch.setattr(matchers, "LAZY_FROM", 0)
    lazy = pickle.loads(pickle.dumps(eager))
    assert lazy.pending.all() and len(lazy) == len(eager)
    texts = [
        "antécédent de diabète de type 2 et insuffisance cardiaque gauche",
        "DT2 , IC , insuffisance rénale chronique",
        "rien ici",
        "type 2 diabète de type 2 insuffisance cardiaque",
    ]
    for doc in phrase_docs(vocab, texts):
        assert lazy(doc) == eager(doc)
        assert [(s.label_, s.start, s.end) for s in lazy(doc, as_spans=True)] == [(s.label_, s.start, s.end) for s in eager(doc, as_spans=True)]
    assert 0 < (~lazy.pending).sum() < len(lazy.pending)  # only the patterns these texts could use
    lazy.complete()
    assert not lazy.pending.any()
    for doc in phrase_docs(vocab, texts + ["mot7 suivant7"]):
        assert lazy(doc) == eager(doc)


def test_a_lazy_pipeline_annotates_like_the_pipeline_just_built(fresh, monkeypatch, lazy_pickling):
    monkeypatch.setattr(matchers, "LAZY_FROM", 0)  # every matcher of the pipeline lazy
    lazy = pickle.loads(pickle.dumps(fresh))
    texts = [*POLLUTED, "Pas d'HTA ni de diabète. Suspicion d'EP. Mère : cancer du sein. ATCD d'IDM en 2015."]
    for text in texts:
        assert found(lazy, text) == found(fresh, text)
    full = pickle.loads(pickle.dumps(fresh))
    matchers.complete(full)
    assert not any(m.pending.any() for m in matchers._matchers(full))
    for text in texts:
        assert found(full, text) == found(fresh, text)


def test_a_lazy_matcher_takes_new_patterns_and_removals_and_pickles_them(monkeypatch, lazy_pickling):
    vocab = spacy.blank("fr").vocab
    eager = EDSPhraseMatcher(vocab, attr="ORTH", ignore_excluded=False)
    eager.add("A", phrase_docs(vocab, ["alpha", "alpha bêta"]))
    eager.add("B", phrase_docs(vocab, ["bêta"]))
    monkeypatch.setattr(matchers, "LAZY_FROM", 0)
    lazy = pickle.loads(pickle.dumps(eager))
    lazy.add("C", phrase_docs(vocab, ["gamma"]))
    lazy.remove("B")
    assert len(lazy) == 2 and "C" in lazy and "B" not in lazy
    again = pickle.loads(pickle.dumps(lazy))
    doc = phrase_docs(vocab, ["alpha bêta gamma"])[0]
    expected = [("A", 0, 1), ("A", 0, 2), ("C", 2, 3)]
    for matcher in (lazy, again):
        assert sorted((vocab.strings[m], s, e) for m, s, e in matcher(doc)) == expected


def test_the_cache_writes_an_empty_vectors_table_empty_and_a_filled_one_whole(fresh):
    import numpy
    from spacy.vectors import Vectors

    written = io.BytesIO()
    dump(fresh, written)
    copy = pickle.loads(written.getvalue())
    assert copy.vocab.vectors.shape == (0, 0)
    assert set(copy.vocab.strings) == set(fresh.vocab.strings)  # written once instead of twice
    assert written.tell() < 0.8 * len(pickle.dumps(fresh))
    assert found(copy, POLLUTED[1]) == found(fresh, POLLUTED[1])

    nlp = spacy.blank("fr")
    nlp.vocab.vectors = Vectors(data=numpy.ones((2, 3), dtype="float32"), keys=[nlp.vocab.strings.add("toux"), nlp.vocab.strings.add("fièvre")])
    written = io.BytesIO()
    dump(nlp, written)
    assert pickle.loads(written.getvalue()).vocab.get_vector("toux").tolist() == [1.0, 1.0, 1.0]
