"""The speed-ups as a whole (nlp/speedups/): one switch, one version gate, nothing done on import,
``apply``/``remove`` that put EDS-NLP's own code back -- and the same output either way."""

from __future__ import annotations

import copyreg
import json
import subprocess
import sys

import edsnlp
import pytest
from edsnlp.matchers.phrase import EDSPhraseMatcher
from edsnlp.matchers.regex import RegexMatcher
from edsnlp.utils import doc_to_text

from clinsearch.nlp import pipeline, speedups
from clinsearch.nlp.annotate import contexts, entities
from clinsearch.nlp.qualifiers import EnglishHypothesis, EnglishNegation, ListedFamily
from tests.nlp.modes import global_speedups

ENGLISH = ["No fever, chills or cough.", "Mother had breast cancer. Possible pneumonia.", "History of MI; the patient denies chest pain."]


def speedup_objects(nlp) -> list[str]:
    """The classes from clinsearch.nlp.speedups among ``nlp``'s pipes and what they hold."""
    found, seen = [], set()

    def walk(obj, depth: int) -> None:
        if id(obj) in seen or depth > 6:
            return
        seen.add(id(obj))
        if type(obj).__module__.startswith("clinsearch.nlp.speedups"):
            found.append(type(obj).__qualname__)
        children = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, (list, tuple)) else ()
        if type(obj).__module__.startswith(("edsnlp.", "clinsearch.")) and hasattr(obj, "__dict__"):
            children = vars(obj).values()
        for child in children:
            walk(child, depth + 1)

    for _, pipe in nlp.pipeline:
        walk(pipe, 0)
    return found


def edsnlp_s_own_globals() -> bool:
    return doc_to_text.aggregate_tokens.__module__ == "edsnlp.utils.doc_to_text" and EDSPhraseMatcher not in copyreg.dispatch_table


@pytest.mark.parametrize("value, on", [(None, True), ("", True), ("1", True), ("on", True), ("yes", True),
                                       ("0", False), ("off", False), ("OFF", False), ("false", False), (" no ", False)])
def test_the_switch_is_on_unless_turned_off(monkeypatch, value, on):
    if value is None:
        monkeypatch.delenv(speedups.SWITCH, raising=False)
    else:
        monkeypatch.setenv(speedups.SWITCH, value)
    assert speedups.enabled() is on
    assert (speedups.status() == "on") is on and pipeline.speedups_on() is on


def test_with_the_switch_off_the_loader_never_applies_them(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setenv(speedups.SWITCH, "off")
    monkeypatch.setenv("CLINSEARCH_CACHE", str(tmp_path))
    monkeypatch.setattr(speedups, "apply", lambda *args, **kwargs: calls.append(args))
    with global_speedups(on=False):
        built = pipeline.read_or_build("en", full=False)
        read = pipeline.read_or_build("en", full=False)  # from the cache just written
        key = pipeline.cache_key("en", False, False, False)
        assert [p.name for p in tmp_path.glob("*.pkl")] == [f"pipeline-en-light-plain-{key}.pkl"]
        for nlp in (built, read):
            assert calls == [] and edsnlp_s_own_globals() and speedup_objects(nlp) == []
            qualifiers = [type(nlp.get_pipe(name)) for name in ("negation", "hypothesis", "family")]
            assert qualifiers == [EnglishNegation, EnglishHypothesis, ListedFamily]
            assert type(nlp.get_pipe("lexicon").phrase_matcher) is EDSPhraseMatcher  # kept whole by the cache
        assert [[e.as_dict() for e in entities(read(t))] for t in ENGLISH] == [[e.as_dict() for e in entities(built(t))] for t in ENGLISH]


def test_apply_and_remove_give_the_classes_and_take_them_back():
    nlp = pipeline.build_english(full=False)
    assert speedup_objects(nlp) == []
    with global_speedups(on=False):
        applied = speedups.apply(nlp)
        assert applied.on and applied.reason == "" and applied.pipes > 3
        assert speedups.installed() and not edsnlp_s_own_globals()
        assert {"DirectEnglishHypothesis", "DirectEnglishNegation", "DirectListedFamily", "GuardedRegexMatcher"} == set(speedup_objects(nlp))
        assert speedups.apply(nlp).pipes == 0  # in place already
        assert speedups.remove(nlp) == applied.pipes
        assert speedup_objects(nlp) == [] and edsnlp_s_own_globals() and not speedups.installed()
        assert type(nlp.get_pipe("negation")) is EnglishNegation


def test_under_another_edsnlp_the_gate_refuses_and_changes_nothing(monkeypatch, tmp_path):
    nlp = pipeline.build_english(full=False)
    monkeypatch.setenv(speedups.SWITCH, "on")
    with global_speedups(on=False):
        monkeypatch.setattr(edsnlp, "__version__", "0.24.0")
        applied = speedups.apply(nlp, ready=True)
        assert not applied.on and "0.24.0" in applied.reason and applied.pipes == 0
        assert speedup_objects(nlp) == [] and edsnlp_s_own_globals()
        assert speedups.status().startswith("off: EDS-NLP 0.24.0") and not pipeline.speedups_on()
        assert speedups.remove(nlp) == 0 and not speedups.installed()
        # the loader then builds and caches the plain pipeline, though the switch is on
        monkeypatch.setenv("CLINSEARCH_CACHE", str(tmp_path))
        assert speedup_objects(pipeline.read_or_build("en", full=False)) == [] and edsnlp_s_own_globals()
        assert [p.name.split("-")[3] for p in tmp_path.glob("*.pkl")] == ["plain"]
    assert speedups.supported("0.23.0") and speedups.supported("0.23.7")
    assert not speedups.supported("0.24.0") and not speedups.supported("0.230.1") and not speedups.supported("0.22.9")


def test_the_same_output_with_the_speed_ups_and_without(nlp, demo_texts):
    """Entities (codes, qualifiers) and contexts of the full French pipeline, its classes and the
    global speed-ups taken away and put back, on demo notes."""

    def output(texts):
        return [([e.as_dict() for e in entities(doc)], [vars(c) for c in contexts(doc)]) for doc in map(nlp, texts)]

    texts = demo_texts[:12] + ["Pas de fièvre, de toux ni de dyspnée. Suspicion d'EP. Mère diabétique. Créatinine 110 µmol/l le 12/03/2020."]
    was = pipeline.speedups_on()
    speedups.apply(nlp)
    try:
        fast = output(texts)
        assert len(speedup_objects(nlp)) > 50  # guarded matchers, normaliser, quantities, qualifiers, tokens
        speedups.remove(nlp)
        # what stays: the cached pipeline's lazy phrase matchers (a compiled class), now filled
        assert set(speedup_objects(nlp)) <= {"LazyPhraseMatcher", "Patterns"}
        assert all(type(m) is RegexMatcher for m in _regex_matchers(nlp))
        assert output(texts) == fast
    finally:
        if was:
            speedups.apply(nlp)
        else:
            speedups.remove(nlp)
    assert sum(len(found) for found, _ in fast) > 100 and any(spans for _, spans in fast)


def _regex_matchers(nlp):
    from clinsearch.nlp.speedups.regexes import regex_matchers

    return regex_matchers(nlp)


IMPORT_EVERYTHING = r"""
import copyreg, json, sys
import clinsearch.nlp.pipeline, clinsearch.nlp.annotate, clinsearch.nlp.run, clinsearch.nlp.spark
from clinsearch.nlp.speedups import matchers, normalizer, qualifiers, quantities, regexes, relaxed, spacy_french, texts, tokens
from edsnlp.matchers.phrase import EDSPhraseMatcher
from edsnlp.utils import doc_to_text
print(json.dumps({"copyreg": EDSPhraseMatcher in copyreg.dispatch_table, "text": doc_to_text.aggregate_tokens.__module__,
                  "french": "spacy.lang.fr" in sys.modules}))
"""


def test_nothing_happens_on_import():
    done = subprocess.run([sys.executable, "-c", IMPORT_EVERYTHING], capture_output=True, text=True, check=True)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"copyreg": False, "text": "edsnlp.utils.doc_to_text", "french": False}
