"""Importing spaCy's French without compiling its giant TOKEN_MATCH (nlp/speedups/spacy_french.py):
the pattern is compiled only when used, and spaCy's French tokenizer then behaves exactly as before.
Run in a new interpreter, since this test's own process may have imported spaCy's French already."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = r"""
import json, re, pickle
compile_ = re.compile
from clinsearch.nlp.speedups.spacy_french import DeferredMethod, import_french
import_french()
import spacy.lang.fr.tokenizer_exceptions as exceptions
deferred = exceptions.TOKEN_MATCH
report = {"deferred": isinstance(deferred, DeferredMethod), "compiled_before_use": deferred.pattern._compiled is not None,
          "re_compile_restored": re.compile is compile_}
import spacy
nlp = spacy.blank("fr")
words = ["entr'abat", "faux-vampire", "saut-de-ski", "pet-en-l'air", "Saint-Étienne", "aujourd'hui", "porte-monnaie"]
report["matched"] = [w for w in words if deferred(w)]
report["tokens"] = [t.text for t in nlp("Il est entr'abat à Saint-Étienne aujourd'hui avec un porte-monnaie.")]
report["tokenizer_saved"] = len(nlp.tokenizer.to_bytes()) > 0
report["pickled"] = pickle.loads(pickle.dumps(deferred))("faux-vampire") is not None
print(json.dumps(report))
"""

REFERENCE = r"""
import json, spacy
nlp = spacy.blank("fr")
print(json.dumps([t.text for t in nlp("Il est entr'abat à Saint-Étienne aujourd'hui avec un porte-monnaie.")]))
"""


def run(script: str):
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_token_match_is_compiled_only_when_used_and_tokenizes_as_spacy_does():
    report = run(SCRIPT)
    assert report["deferred"] and not report["compiled_before_use"] and report["re_compile_restored"]
    assert "faux-vampire" in report["matched"] and "entr'abat" in report["matched"] and "aujourd'hui" not in report["matched"]
    assert report["tokenizer_saved"] and report["pickled"]
    assert report["tokens"] == run(REFERENCE)  # spaCy's own French, imported the usual way
