"""The NLP measured on a hospital's own annotated notes (``clinsearch nlp evaluate PATH``): the
files are the user's, read from disk; nothing is read from or written to the warehouse, as with
``clinsearch annotate``."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from clinsearch.nlp.annotate import annotate
from clinsearch.nlp.evaluation import AnnotationError, evaluate, read_annotations
from clinsearch.nlp.language import detect

__all__ = ["AnnotationError", "evaluate_annotations"]


def evaluate_annotations(path: Path, lang: str | None = None, exact: bool = False, on_note: Callable[[int, int], None] | None = None) -> dict:
    """Precision, recall and F1 of the real pipeline on the annotated notes under ``path``, per
    entity label and per qualifier. ``lang`` is fr or en (default: detected for each note).
    Raises ``AnnotationError`` (file and line) for a file that cannot be read."""
    notes = read_annotations(Path(path))
    if not notes:
        raise AnnotationError(path, None, "no annotated note in this file")
    languages: dict[str, int] = {}

    def analyse(text: str, terms: tuple[str, ...]) -> list:
        language = lang or detect(text)
        if not terms:
            languages[language] = languages.get(language, 0) + 1
        return annotate(text, language, terms)

    result = evaluate(notes, analyse, exact, (lambda done: on_note(done, len(notes))) if on_note else None)
    return {"path": str(path), "languages": languages, **result}
