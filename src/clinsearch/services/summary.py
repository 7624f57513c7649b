"""A patient's summary, timeline and drafted letter as the principal may see them: the same
service behind the web page, ``GET /api/v1/patients/{id}/summary`` and ``clinsearch patient``.

Clinicians see the record identified (a restricted clinician: the notes of their departments
only); researchers see it pseudonymised -- the pseudonym, no name, IPP or birth date, every date
shifted by the patient's own offset, every quoted sentence taken from the pseudonymised text
(offsets moved with it), no scores (their trail quotes identified data). One audit entry a summary."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinsearch.config import secret_key
from clinsearch.nlp.pseudonymize import date_shift, moved, pseudonymize
from clinsearch.record.letter import draft
from clinsearch.record.letter_files import to_docx, to_html
from clinsearch.record.summary import summarise, timeline
from clinsearch.services import scores
from clinsearch.services.access import Request, audit, check_patient, identities, note_departments, pseudonym, resolve_patient
from clinsearch.terminology.defaults import default
from clinsearch.warehouse.store import open_store

DATES = ("date", "end_date", "first_date", "last_date", "birth_date", "death_date", "last_record", "as_of", "end")
NOT_APPLICABLE = ("not_applicable",)


def summary(request: Request, key: str, lang: str = "fr", *, with_scores: bool = True) -> dict:
    """The summary (``record.summary.summarise``) with the scores that apply, last; JSON-ready."""
    person_id = resolve_patient(request, key)
    with open_store(request.data, read_only=True) as store:
        check_patient(request, store, person_id)
        audit(request, "summary", str(person_id))
        found = summarise(store, person_id, default(), lang, note_departments(request, person_id))
        texts = _texts(store, found) if not request.principal.identified else {}
        identity = identities(store, {person_id}).get(person_id) if not request.principal.identified else None
        panel = scores.panel_in(request, store, person_id) if with_scores and request.principal.identified else []
    if request.principal.identified:
        found["scores"] = [s for s in panel if s["status"] not in NOT_APPLICABLE]
        found["timeline"] = timeline(found)
        return jsonable(found)
    shift = date_shift(person_id, secret_key(request.data))
    found = _pseudonymised(found, texts, identity, shift, pseudonym(request.data, person_id))
    found["scores"] = []
    found["timeline"] = timeline(found)
    return jsonable(found)


def letter(request: Request, key: str, kind: str = "discharge", lang: str | None = None) -> dict:
    """The drafted letter: sections of sentences, each with its citations (``record.letter``)."""
    found = summary(request, key, lang or "fr", with_scores=False)
    return draft(found, kind, lang or found["language"])


LETTER_FORMS = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "html": "text/html; charset=utf-8"}


@dataclass(frozen=True)
class LetterFile:
    content: bytes
    media_type: str
    filename: str
    letter: dict


def letter_file(request: Request, key: str, form: str = "docx", kind: str = "discharge", lang: str | None = None) -> LetterFile:
    """The drafted letter as a file to download and edit: ``.docx`` or ``.html``."""
    found = letter(request, key, kind, lang)
    form = form if form in LETTER_FORMS else "docx"
    content = to_docx(found) if form == "docx" else to_html(found).encode("utf-8")
    return LetterFile(content, LETTER_FORMS[form], f"{'courrier' if found['lang'] == 'fr' else 'letter'}-{key}.{form}", found)


def _cited(value) -> set[int]:
    """The notes quoted anywhere in the summary."""
    if isinstance(value, dict):
        found = {c["note_id"] for c in value.get("citations", ()) if c.get("note_id")}
        return found.union(*(_cited(v) for k, v in value.items() if k != "citations"))
    if isinstance(value, list):
        return set().union(*(_cited(v) for v in value))
    return set()


def _texts(store, found: dict) -> dict[int, str]:
    """The texts of the notes the summary quotes (to quote them again pseudonymised)."""
    cited = _cited(found)
    if not cited:
        return {}
    marks = ", ".join("?" for _ in cited)
    return {r["note_id"]: r["note_text"] or "" for r in store.query_dicts(f"SELECT note_id, note_text FROM note WHERE note_id IN ({marks})", sorted(cited))}


def _pseudonymised(found: dict, texts: dict[int, str], identity: dict | None, shift: int, alias: str) -> dict:
    done = {note_id: pseudonymize(text, identity, shift) for note_id, text in texts.items()}

    def text(value):
        return pseudonymize(value, identity, shift).text if isinstance(value, str) and value else value

    def cite(c: dict) -> dict | None:
        c = {**c, "date": c["date"] + dt.timedelta(days=shift) if isinstance(c.get("date"), dt.date) else c.get("date")}
        if not c.get("note_id"):
            return {**c, "text": text(c["text"])}
        result = done.get(c["note_id"])
        place = moved(result.replacements, c["start"], c["end"]) if result else None
        if place is None:
            return None  # the sentence was an identifier: not quoted
        mention = moved(result.replacements, *c["mention"]) if c.get("mention") else None
        return {**c, "start": place[0], "end": place[1], "text": result.text[place[0]: place[1]], "title": text(c.get("title")),
                "mention": list(mention) if mention else None}

    def walk(value, name: str = ""):
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if k == "citations":
                    out[k] = [x for x in (cite(c) for c in v) if x is not None]
                elif k in DATES and isinstance(v, dt.date):
                    out[k] = v + dt.timedelta(days=shift)
                elif k in ("title", "description", "conclusion", "dose", "reaction") and isinstance(v, str):
                    out[k] = text(v)
                else:
                    out[k] = walk(v, k)
            return out
        if isinstance(value, list):
            return [walk(v, name) for v in value]
        return value

    person = found["person"]
    out = walk({k: v for k, v in found.items() if k != "person"})
    out["person"] = {"person_id": alias, "sex": person["sex"], "age": person["age"], "last_record": out.get("as_of")}
    return out


def jsonable(value):
    """Dates as ISO strings, everything else as it is."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value
