"""clinsearch's speed-ups of EDS-NLP 0.23: the same output, found several times faster.

Each module replaces one piece of EDS-NLP's (or spaCy's) code with a faster one that gives the
same output, element for element; the tests compare each with the code it replaces (tests/nlp/),
and ``benchmarks/nlp_speed.py`` the whole run with them against the same pipeline without them.

* ``texts``: the note's text as the matchers read it (``edsnlp.utils.doc_to_text.aggregate_tokens``,
  a module-global function replaced);
* ``matchers``: the phrase matchers' pickling, loaded lazily from the pipeline cache (``copyreg``);
* ``spacy_french``: spaCy's French imported without compiling a regex its tokenizer never uses;
* ``regexes`` (with ``relaxed``, which reads patterns with CPython's private ``re._parser``):
  every regex matcher skips the patterns that cannot match (the class of each ``RegexMatcher``);
* ``normalizer``, ``quantities``: ``eds.normalizer`` and ``eds.quantities`` (the pipes' classes);
* ``qualifiers``: negation, hypothesis and family write their verdicts directly (the pipes' classes);
* ``tokens``: clinsearch's own abbreviation fix, each distinct token text matched once.

Nothing happens on import. ``apply()`` puts the first three in place (they are global to the
process), ``apply(nlp)`` also gives ``nlp``'s pipes the faster classes; ``remove()`` and
``remove(nlp)`` put EDS-NLP's own code back. The pipeline loader (``clinsearch.nlp.pipeline``) is
the only caller of ``apply``, and calls it only when the switch is on:

* the switch: the environment variable ``CLINSEARCH_NLP_SPEEDUPS``, on unless it is ``0``,
  ``off``, ``false`` or ``no`` -- the output is the same either way, only slower without them;
* the gate: the speed-ups follow EDS-NLP 0.23's internals (``SUPPORTED_EDSNLP``); under any other
  version ``apply`` changes nothing and says why (``Applied.reason``; ``status()`` for a report).

What clinsearch does *differently* from EDS-NLP on purpose (negation through enumerations, no
French verbs in English, the abbreviation fix, entity trimming) is not here but in
``clinsearch.nlp.qualifiers``, ``tokens`` and ``trim``, active with the speed-ups on or off.

Several modules contain code adapted from EDS-NLP (each says so in its header); EDS-NLP's licence
is in ``LICENSE-EDSNLP`` next to this file.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass

SWITCH = "CLINSEARCH_NLP_SPEEDUPS"
OFF = ("0", "off", "false", "no")
SUPPORTED_EDSNLP = "0.23."  # the EDS-NLP whose internals the speed-ups replace (pyproject.toml pins it)


@dataclass(frozen=True)
class Applied:
    """What ``apply`` did: ``on`` when the speed-ups are in place, else ``reason`` says why not."""

    on: bool
    reason: str = ""
    pipes: int = 0  # objects of the pipeline given a faster class by this call


def enabled() -> bool:
    """Whether the switch (``CLINSEARCH_NLP_SPEEDUPS``) lets the pipeline loader apply them."""
    return os.environ.get(SWITCH, "").strip().lower() not in OFF


def supported(version: str | None = None) -> bool:
    """Whether ``version`` (by default the installed EDS-NLP's) is the one the speed-ups follow."""
    if version is None:
        import edsnlp

        version = edsnlp.__version__
    return version.startswith(SUPPORTED_EDSNLP)


def status() -> str:
    """``"on"``, or ``"off: "`` and why: what the pipeline loader does in this process."""
    if not enabled():
        return f"off: {SWITCH}={os.environ[SWITCH]}"
    if not supported():
        return "off: " + _refusal()
    return "on"


def _refusal() -> str:
    import edsnlp

    return f"EDS-NLP {edsnlp.__version__} is installed; the speed-ups follow EDS-NLP {SUPPORTED_EDSNLP}x's internals"


def _per_pipeline() -> tuple:
    """The modules that give a pipeline's objects faster classes (``apply_to``, ``remove_from``)."""
    # Imported here, past the gate, as in ``apply`` and ``remove``: they import EDS-NLP 0.23's
    # internals, which another version may not have -- importing this package works under any.
    from clinsearch.nlp.speedups import matchers, normalizer, qualifiers, quantities, regexes, tokens

    return tokens, normalizer, regexes, quantities, qualifiers, matchers


def apply(nlp=None, *, ready: bool = False) -> Applied:
    """Put the speed-ups in place: the global ones, and given ``nlp``, its pipes' faster classes
    (again and again: what is in place stays). ``ready``: also fill ``nlp``'s lazy phrase
    matchers and compile its regex guards now, as a parent does before forking workers that all
    use them. Does what it is asked whatever the switch, which is the loader's to read; under
    another EDS-NLP than ``SUPPORTED_EDSNLP``, changes nothing."""
    if not supported():
        return Applied(False, _refusal())
    from clinsearch.nlp.speedups import matchers, regexes, spacy_french, texts

    spacy_french.import_french()
    texts.install()
    matchers.register()
    if nlp is None:
        return Applied(True)
    changed = sum(module.apply_to(nlp) for module in _per_pipeline())
    if ready:
        matchers.complete(nlp)
        regexes.compile_all(nlp)
    return Applied(True, "", changed)


def remove(nlp=None) -> int:
    """Put EDS-NLP's own code back: the global speed-ups, and given ``nlp``, its pipes' classes
    (its lazy phrase matchers are filled instead: they then match as EDS-NLP's). The number of
    objects of ``nlp`` given their class back."""
    if not supported():
        return 0  # none of the speed-ups can be in place
    from clinsearch.nlp.speedups import matchers, texts

    texts.uninstall()
    matchers.unregister()
    return sum(module.remove_from(nlp) for module in _per_pipeline()) if nlp is not None else 0


def installed() -> bool:
    """Whether the global speed-ups are in place in this process."""
    if not supported():
        return False
    from clinsearch.nlp.speedups import matchers, texts

    return texts.installed() and matchers.registered()


@contextmanager
def edsnlp_own():
    """EDS-NLP's own code in place of the global speed-ups for the duration of the block, and the
    speed-ups back after if they were in place (the speed benchmark's bare pipeline)."""
    was = installed()
    remove()
    try:
        yield
    finally:
        if was:
            apply()
