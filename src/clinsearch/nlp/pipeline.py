"""The French and English clinical pipelines on EDS-NLP, built once and cached on disk.

Pipes, in order: ``eds.normalizer``, ``eds.sentences``, ``eds.sections``; entity pipes
``eds.cim10`` (CIM-10 diagnoses), ``eds.drugs`` (ATC), the EDS-NLP comorbidity pipes
(diabetes, CKD, COPD, heart failure, myocardial infarction, stroke) with their matches
restricted to those that name a lexicon concept (``trim.restrict_disorders``), ``eds.tnm``, two
``eds.matcher`` fed by the clinsearch lexicon (terms ignoring case and accents, abbreviations
case-sensitive), ``eds.dates`` and ``eds.quantities`` (measurements); the entity fixes of ``trim`` (trailing
words, ambiguous abbreviations and look-alikes, rules in ``abbreviations.csv``); then the qualifiers
negation and hypothesis (EDS-NLP's, subclassed in ``clinsearch.nlp.qualifiers``), family,
``eds.history`` and ``eds.reported_speech``, whose cue lists come from ``clinsearch.nlp.cues``
(EDS-NLP's own lists plus the changes measured there).

The builders give EDS-NLP's code and clinsearch's behaviour changes only; the loader then puts
the speed-ups in place (``clinsearch.nlp.speedups.apply``: the same output, faster) unless
``CLINSEARCH_NLP_SPEEDUPS`` turns them off or the installed EDS-NLP is not the one they follow.

Building ``eds.cim10`` takes about 40 s (42,886 terms), so the built pipeline is pickled into the
cache directory (``$CLINSEARCH_CACHE``, else ``~/.cache/clinsearch``) under a name that changes
with the EDS-NLP version, the lexicon, the cue lists, the code that builds it and whether the
speed-ups are on; later runs load it in well under a second with the speed-ups
(``clinsearch.nlp.speedups.matchers``: the CIM-10 patterns are added to the matcher only when a
text could match them), in a few seconds without.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

from clinsearch.nlp import (
    cues,
    cues_en,
    pickling,
    qualifiers,  # registers clinsearch.negation and the English qualifiers
    speedups,
    tokens,  # registers clinsearch.split_final_periods
    trim,  # registers clinsearch.trim_entities
)
from clinsearch.nlp.lexicon import LEXICON, fingerprint

# Bump on purpose whenever a change of code changes what the NLP writes for a note -- its
# entities, spans, codes, qualifiers, contexts or note_nlp rows: a behaviour change (qualifiers.py,
# tokens.py, trim.py), a pipe added, removed or configured otherwise here, a fix, a change of
# annotate.py's or to_note_nlp.py's mapping. Not for a speed-up, a refactoring or a comment, which
# must leave the output as it was (tests/nlp compares the speed-ups with EDS-NLP's own code), nor
# for the data (cue lists, lexicon) or EDS-NLP's version, which ``run.nlp_system`` counts by
# themselves. A new value makes every note annotated before *outdated* (``run.outdated``):
# re-annotated by ``run_nlp(store, reprocess=True)``.
PIPELINE_VERSION = "7"
QUALIFIERS = ("negation", "hypothesis", "family", "history", "reported_speech")


def cache_dir() -> Path:
    return Path(os.environ.get("CLINSEARCH_CACHE") or Path.home() / ".cache" / "clinsearch")


def lexicon_terms(lang: str) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(terms, abbreviations) of the lexicon in ``lang``, keyed by lexicon id; each term also in
    its plurals (``plurals``), as the search finds it whatever its number."""
    terms = {e.id: list(dict.fromkeys(v for t in e.terms[lang] for v in (t, *plurals(t, lang)))) for e in LEXICON.values() if e.terms[lang]}
    abbreviations = {e.id: list(e.abbreviations[lang]) for e in LEXICON.values() if e.abbreviations[lang]}
    return terms, abbreviations


FUNCTION_WORDS = frozenset("de du des d la le les l à au aux en et ou sur sous avec sans par pour non of the and or with without in on to".split())


def plurals(term: str, lang: str) -> list[str]:
    """A term with its head word in the plural, and with all its words ("embolies pulmonaires",
    "cancers du sein", "pulmonary embolisms"): the search stems the number away, so the NLP
    whose entities stand for the lexicon's terms must read them in the plural too (a wrong
    plural such as "infarctus dus myocardes" matches nothing)."""
    words = term.split(" ")
    eligible = [i for i, w in enumerate(words) if len(w) > 2 and w.isalpha() and w.lower() not in FUNCTION_WORDS]
    if not eligible:
        return []
    plural = _plural_fr if lang == "fr" else _plural_en
    head = [plural(w) if i == eligible[0] else w for i, w in enumerate(words)]
    every = [plural(w) if i in eligible else w for i, w in enumerate(words)]
    if lang == "en":  # English puts the number on the last word: "heart failures"
        head = [plural(w) if i == eligible[-1] else w for i, w in enumerate(words)]
    return [" ".join(v) for v in dict.fromkeys((tuple(head), tuple(every))) if list(v) != words]


def _plural_fr(word: str) -> str:
    if word[-1] in "sxz":
        return word
    if word.endswith(("al", "au", "eu")):
        return word[:-2] + "aux" if word.endswith("al") else word + "x"
    return word + "s"


def _plural_en(word: str) -> str:
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def build_french(*, full: bool = True, bare: bool = False):
    """A fresh French pipeline, without the speed-ups. ``full=False`` leaves out the slow-to-build CIM-10 and comorbidity
    pipes (the light pipeline of the quality benchmark's target-term runs); ``bare=True`` uses
    EDS-NLP's qualifiers exactly as shipped (the benchmarks' anchor)."""
    import edsnlp
    import edsnlp.pipes as eds

    nlp = edsnlp.blank("eds")
    nlp.add_pipe("clinsearch.split_final_periods", name="split_final_periods")
    nlp.add_pipe(eds.normalizer())
    nlp.add_pipe(eds.sentences())
    if not bare:
        nlp.add_pipe("clinsearch.keep_sentences_going", name="keep_sentences_going")
    nlp.add_pipe(eds.sections())
    if full:
        nlp.add_pipe(eds.cim10())
        nlp.add_pipe(eds.drugs())
        nlp.add_pipe(eds.diabetes())
        nlp.add_pipe(eds.ckd())
        nlp.add_pipe(eds.copd())
        nlp.add_pipe(eds.congestive_heart_failure())
        nlp.add_pipe(eds.myocardial_infarction())
        nlp.add_pipe(eds.cerebrovascular_accident())
        if not bare:  # the comorbidity pipes' matches kept as search entities (trim.restrict_disorders)
            nlp.add_pipe("clinsearch.restrict_disorders", name="restrict_disorders")
        nlp.add_pipe(eds.tnm())
    terms, abbreviations = lexicon_terms("fr")
    nlp.add_pipe(eds.matcher(terms=terms, attr="NORM", ignore_excluded=True), name="lexicon")
    nlp.add_pipe(eds.matcher(terms=abbreviations, attr="TEXT"), name="lexicon_abbreviations")
    if full:
        # Durations ("pendant 7 jours") are not kept by clinsearch; not looking for them saves
        # 40 % of the dates pipe, the slowest of all (benchmarks/nlp_speed.py).
        nlp.add_pipe(eds.dates(duration=[]))
        nlp.add_pipe("eds.quantities")
    if not bare:
        nlp.add_pipe("clinsearch.trim_entities", name="trim_entities")
    if bare:
        for qualifier in (eds.negation, eds.hypothesis, eds.family, eds.history, eds.reported_speech):
            nlp.add_pipe(qualifier())
        return nlp
    # Negation, hypothesis and family judge every token, not only entities: the search index
    # splits the whole text by context, so that "pas de fièvre" is negated even though "fièvre"
    # is no entity. History and reported speech stay on entities (the index does not use them).
    every = {"on_ents_only": False}
    nlp.add_pipe("clinsearch.negation", name="negation", config={**cues.NEGATION_FR, **every})
    nlp.add_pipe("clinsearch.hypothesis", name="hypothesis", config={**cues.HYPOTHESIS_FR, **every})
    nlp.add_pipe("clinsearch.family", name="family", config={**cues.FAMILY_FR, **every})
    nlp.add_pipe(eds.history(**cues.HISTORY_FR))
    nlp.add_pipe(eds.reported_speech(**cues.REPORTED_SPEECH_FR))
    return nlp


def build_english(*, full: bool = True, bare: bool = False):
    """A fresh English pipeline, without the speed-ups: sentences, the lexicon's English side,
    and EDS-NLP's qualifiers driven by English cue lists (``cues_en``). ``full`` changes nothing
    yet (EDS-NLP has no English entity pipes); ``bare`` is accepted for symmetry with French."""
    import edsnlp
    import edsnlp.pipes as eds

    nlp = edsnlp.blank("en")
    if not bare:
        nlp.add_pipe("clinsearch.split_letter_periods", name="split_letter_periods")
    nlp.add_pipe(eds.sentences())
    terms, abbreviations = lexicon_terms("en")
    nlp.add_pipe(eds.matcher(terms=terms, attr="LOWER"), name="lexicon")
    nlp.add_pipe(eds.matcher(terms=abbreviations, attr="TEXT"), name="lexicon_abbreviations")
    termination = cues_en.TERMINATION_EN
    every = {"on_ents_only": False}
    nlp.add_pipe("clinsearch.negation_en", name="negation", config={**cues_en.NEGATION_EN, "termination": termination, **every})
    nlp.add_pipe("clinsearch.hypothesis_en", name="hypothesis", config={**cues_en.HYPOTHESIS_EN, "termination": termination, **every})
    nlp.add_pipe("clinsearch.family", name="family", config={**cues_en.FAMILY_EN, "use_sections": False, **every})
    nlp.add_pipe(eds.history(**cues_en.HISTORY_EN, termination=termination))
    return nlp


BUILDERS = {"fr": build_french, "en": build_english}


def cache_key(lang: str, full: bool, bare: bool, fast: bool) -> str:
    """The name of the cached pipeline: whatever went into building it, down to its code (a
    comment changed rebuilds it; this key is the cache's alone, not the notes' NLP version)."""
    import edsnlp

    files = [Path(module.__file__) for module in (sys.modules[__name__], pickling, qualifiers, tokens, trim)]
    if fast:
        files += sorted(Path(speedups.__file__).parent.glob("*.py"))
    code = "".join(path.read_text("utf-8") for path in files)
    parts = [PIPELINE_VERSION, lang, str(full), str(bare), "fast" if fast else "plain", edsnlp.__version__,
             fingerprint(), cues.fingerprint(), cues_en.fingerprint(), code]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def load_pipeline(lang: str = "fr", full: bool = True, bare: bool = False):
    """The pipeline for ``lang``, from the disk cache when it is there, else built and cached;
    loaded once per process (whatever the way the arguments are written)."""
    return _load(lang, bool(full), bool(bare))


def ready_pipeline(lang: str = "fr"):
    """The full pipeline for ``lang``, made ready for many notes at once: with the speed-ups, its
    lazy phrase matchers filled and its regex guards compiled -- in the parent, before forking,
    so that the workers share them instead of each doing it again."""
    nlp = load_pipeline(lang)
    if speedups_on():
        speedups.apply(nlp, ready=True)
    return nlp


def speedups_on() -> bool:
    """Whether the loader puts the speed-ups in place (``speedups.status()`` says why not)."""
    return speedups.status() == "on"


@lru_cache(maxsize=8)
def _load(lang: str, full: bool, bare: bool):
    return read_or_build(lang, full, bare)


def read_or_build(lang: str, full: bool = True, bare: bool = False):
    """The pipeline from the disk cache, else built and cached, each time it is called, with the
    speed-ups when the switch and the gate allow them (``load_pipeline`` remembers it)."""
    if lang not in BUILDERS:
        raise ValueError(f"no pipeline for language {lang!r} (available: {', '.join(BUILDERS)})")
    fast = speedups_on() and speedups.apply().on  # global ones first: unpickling uses them
    kind = ("full" if full else "light") + ("-bare" if bare else "") + ("" if fast else "-plain")
    path = cache_dir() / f"pipeline-{lang}-{kind}-{cache_key(lang, full, bare, fast)}.pkl"
    if path.exists():
        try:
            with open(path, "rb") as handle:
                return pickle.load(handle)
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            path.unlink(missing_ok=True)  # a cache from another version: rebuild it
    nlp = BUILDERS[lang](full=full, bare=bare)
    if fast and not bare:  # the bare pipeline is EDS-NLP's as shipped, the quality anchor
        speedups.apply(nlp)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
        dump(nlp, handle)
    os.replace(handle.name, path)
    for stale in path.parent.glob(f"pipeline-{lang}-{kind}-{'?' * 16}.pkl"):
        if stale != path:
            stale.unlink(missing_ok=True)  # caches of earlier versions (20 MB each)
    return nlp


def dump(nlp, handle) -> None:
    """Pickle ``nlp`` into ``handle`` as the cache does (``clinsearch.nlp.pickling``: phrase
    matchers kept whole, an empty vectors table written empty)."""
    pickler = pickle.Pickler(handle, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = pickling.dispatch_table()
    pickler.dump(nlp)
