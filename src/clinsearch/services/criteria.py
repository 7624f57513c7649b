"""A cohort drafted from a study's criteria written in words, for the user to correct before
running it: the same service behind ``POST /api/v1/cohorts/draft``, the page ``/cohorts/draft``
and ``clinsearch cohort --draft``.

No patient data is read (the draft is built from the text, the terminology and the lexicon
alone), so nothing is audited; the faces still require a logged-in principal, and the
administrator, who builds no cohort, is refused. The text is bounded (``MAX_TEXT``)."""

from __future__ import annotations

from clinsearch.cohort.criteria import draft
from clinsearch.cohort.definition import DefinitionError
from clinsearch.services.access import Request, refuse

MAX_TEXT = 5_000  # characters: a protocol's eligibility section, not the whole protocol
LANGUAGES = ("fr", "en")


def draft_cohort(request: Request, text: str, lang: str | None = None) -> dict:
    """``{"definition", "criteria", "not_understood", "warnings", "language"}`` (``cohort.criteria.draft``);
    DefinitionError for an empty or too long text, or a language other than fr and en."""
    if request.principal.role not in ("clinician", "researcher"):
        raise refuse(request, "cohort draft", f"the {request.principal.role} role builds no cohort")
    if not isinstance(text, str) or not text.strip():
        raise DefinitionError("criteria: no text given (paste the inclusion and exclusion criteria)")
    if len(text) > MAX_TEXT:
        raise DefinitionError(f"criteria: at most {MAX_TEXT:,} characters (this text has {len(text):,}); paste the eligibility criteria only")
    if lang not in (None, "", *LANGUAGES):
        raise DefinitionError(f"criteria: unknown language {lang!r} (fr or en)")
    return draft(text, lang or None)
