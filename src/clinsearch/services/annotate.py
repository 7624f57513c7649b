"""The NLP on a text someone types or brings (``clinsearch annotate``): nothing read from or
written to the warehouse."""

from __future__ import annotations

from pathlib import Path

from clinsearch.ingest.values import decode_text
from clinsearch.nlp.annotate import annotate
from clinsearch.nlp.language import detect


def annotate_text(text: str, lang: str | None = None, terms: tuple[str, ...] = ()) -> list:
    """The entities of ``text`` (language detected when not given), with their qualifiers."""
    return annotate(text, lang or detect(text), tuple(terms))


def read_text(path: Path) -> str:
    """A text file's content, its encoding detected (raises ValueError naming the problem)."""
    return decode_text(Path(path).read_bytes())[0]
