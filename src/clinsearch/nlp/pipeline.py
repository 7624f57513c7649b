"""The French clinical pipeline on EDS-NLP, built once and cached on disk.

Pipes, in order: ``eds.normalizer``, ``eds.sentences``, ``eds.sections``; entity pipes
``eds.cim10`` (CIM-10 diagnoses), ``eds.drugs`` (ATC), the EDS-NLP comorbidity pipes
(diabetes, CKD, COPD, heart failure, myocardial infarction, stroke), ``eds.tnm``, two
``eds.matcher`` fed by the clinsearch lexicon (terms ignoring case and accents, abbreviations
case-sensitive), ``eds.dates`` and ``eds.quantities`` (measurements); then the qualifiers
negation, hypothesis and family (EDS-NLP's, subclassed in ``clinsearch.nlp.qualifiers``),
``eds.history`` and ``eds.reported_speech``, whose cue lists come from ``clinsearch.nlp.cues``
(EDS-NLP's own lists plus the changes measured there).

Building ``eds.cim10`` takes about 40 s (42,886 terms), so the built pipeline is pickled into the
cache directory (``$CLINSEARCH_CACHE``, else ``~/.cache/clinsearch``) under a name that changes
with the EDS-NLP version, the lexicon, the cue lists and the code that builds it; later runs load
it in well under a second (``clinsearch.nlp.matchers``: the CIM-10 patterns are added to the
matcher only when a text could match them).
"""

from __future__ import annotations

import copyreg
import hashlib
import os
import pickle
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

from spacy.vectors import Vectors

from clinsearch.nlp import (
    cues,
    cues_en,
    matchers,  # EDS-NLP's phrase matchers pickled whole, and loaded lazily (nlp/matchers.py)
    normalizer,  # EDS-NLP's normaliser, three passes made one (nlp/normalizer.py)
    qualifiers,  # registers clinsearch.negation and the English qualifiers
    quantities,  # EDS-NLP's measurements without spans made to read text (nlp/quantities.py)
    regexes,  # EDS-NLP's regular expressions under an RE2 guard (nlp/regexes.py)
    texts,  # EDS-NLP's text of a note for its matchers, put together faster (nlp/texts.py)
    tokens,  # registers clinsearch.split_final_periods
    trim,  # registers clinsearch.trim_entities
)
from clinsearch.nlp.lexicon import LEXICON, fingerprint
from clinsearch.nlp.spacy_french import import_french

PIPELINE_VERSION = "5"
QUALIFIERS = ("negation", "hypothesis", "family", "history", "reported_speech")


def cache_dir() -> Path:
    return Path(os.environ.get("CLINSEARCH_CACHE") or Path.home() / ".cache" / "clinsearch")


def lexicon_terms(lang: str) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(terms, abbreviations) of the lexicon in ``lang``, keyed by lexicon id."""
    terms = {e.id: list(e.terms[lang]) for e in LEXICON.values() if e.terms[lang]}
    abbreviations = {e.id: list(e.abbreviations[lang]) for e in LEXICON.values() if e.abbreviations[lang]}
    return terms, abbreviations


def build_french(*, full: bool = True, bare: bool = False):
    """A fresh French pipeline. ``full=False`` leaves out the slow-to-build CIM-10 and comorbidity
    pipes (the light pipeline of the quality benchmark's target-term runs); ``bare=True`` uses
    EDS-NLP's qualifiers exactly as shipped (the benchmarks' anchor)."""
    import_french()  # without compiling spaCy's French TOKEN_MATCH, which "eds" does not use
    import edsnlp
    import edsnlp.pipes as eds

    nlp = edsnlp.blank("eds")
    nlp.add_pipe("clinsearch.split_final_periods", name="split_final_periods")
    nlp.add_pipe(eds.normalizer())
    nlp.add_pipe(eds.sentences())
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
    regexes.guard_all(nlp)  # the same matches, found in a fraction of the time (nlp/regexes.py)
    normalizer.one_pass(nlp)  # the same NORM and tags, in one pass over the tokens
    quantities.quick(nlp)  # the same measurements, the text between matches read as slices
    return nlp


def build_english(*, full: bool = True, bare: bool = False):
    """A fresh English pipeline: sentences, the lexicon's English side, and EDS-NLP's qualifiers
    driven by English cue lists (``cues_en``). ``full`` changes nothing yet (EDS-NLP has no
    English entity pipes); ``bare`` is accepted for symmetry with French."""
    import edsnlp
    import edsnlp.pipes as eds

    nlp = edsnlp.blank("en")
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
    regexes.guard_all(nlp)
    return nlp


BUILDERS = {"fr": build_french, "en": build_english}


def cache_key(lang: str, full: bool, bare: bool) -> str:
    import edsnlp

    # The code that builds the pipeline is part of the key too: any change to it rebuilds.
    code = "".join(Path(module.__file__).read_text("utf-8") for module in (sys.modules[__name__], matchers, normalizer, qualifiers, quantities, regexes, tokens, trim))
    parts = [PIPELINE_VERSION, lang, str(full), str(bare), edsnlp.__version__, fingerprint(), cues.fingerprint(), cues_en.fingerprint(), code]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def load_pipeline(lang: str = "fr", full: bool = True, bare: bool = False):
    """The pipeline for ``lang``, from the disk cache when it is there, else built and cached;
    loaded once per process (whatever the way the arguments are written)."""
    return _load(lang, bool(full), bool(bare))


def ready_pipeline(lang: str = "fr"):
    """The full pipeline for ``lang``, made ready for many notes at once: its lazy phrase matchers
    filled and its regex guards compiled -- in the parent, before forking, so that the workers
    share them instead of each doing it again."""
    nlp = load_pipeline(lang)
    matchers.complete(nlp)
    regexes.compile_all(nlp)
    return nlp


@lru_cache(maxsize=8)
def _load(lang: str, full: bool, bare: bool):
    if lang not in BUILDERS:
        raise ValueError(f"no pipeline for language {lang!r} (available: {', '.join(BUILDERS)})")
    import_french()  # unpickling imports spaCy's French language: without its 3-second regex
    texts.install()  # the matchers' text of a note, the same, put together faster
    kind = ("full" if full else "light") + ("-bare" if bare else "")
    path = cache_dir() / f"pipeline-{lang}-{kind}-{cache_key(lang, full, bare)}.pkl"
    if path.exists():
        try:
            with open(path, "rb") as handle:
                return pickle.load(handle)
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            path.unlink(missing_ok=True)  # a cache from another version: rebuild it
    nlp = BUILDERS[lang](full=full, bare=bare)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
        dump(nlp, handle)
    os.replace(handle.name, path)
    for stale in path.parent.glob(f"pipeline-{lang}-{kind}-{'?' * 16}.pkl"):
        if stale != path:
            stale.unlink(missing_ok=True)  # caches of earlier versions (20 MB each)
    return nlp


def dump(nlp, handle) -> None:
    """Pickle ``nlp`` into ``handle``, its vectors table, when empty, as just that: spaCy writes
    into it the vocabulary's 138,000 strings again, and reads them twice on load (0.3 s of a
    cold ``clinsearch annotate``)."""
    pickler = pickle.Pickler(handle, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table, Vectors: _reduce_vectors}
    pickler.dump(nlp)


def _reduce_vectors(vectors: Vectors):
    if vectors.shape == (0, 0) and vectors.mode == "default" and not len(vectors.key2row):
        return Vectors, ()
    return vectors.__reduce__()
