"""Search as the principal may see it: identified results for clinicians (in their perimeter when
their account is restricted), pseudonymised ones for researchers."""

from __future__ import annotations

import datetime as dt

from clinsearch.search import engine, refine
from clinsearch.services import patients as patient_service
from clinsearch.services.access import Request, audit, blur, person_of_pseudonym, pseudonym, require_patient_data, scope, spend_query
from clinsearch.services.disclosure import small, threshold
from clinsearch.services.errors import QueryError, SearchError
from clinsearch.warehouse.store import open_store

SORTS = engine.SORTS
AGE_BAND = 5  # years: a researcher's patient rows give the age in bands ("45-49"), 90 and over as one ("90+")


def search(request: Request, query: str, *, patients: bool = False, limit: int = 20, offset: int = 0, sort: str = "relevance") -> dict:
    """``engine.search`` as the principal may see it, as a JSON-ready dict (audited). A researcher
    searches the pseudonymised view of the index: the text they query and read has no identifier,
    the dates they filter, facet and see are shifted, ``patient:`` takes a pseudonym. Patient
    rows carry the patient's sex and age (a five-year band for researchers)."""
    require_patient_data(request)
    spend_query(request, query)
    audit(request, "search", query, {"patients": patients, "limit": limit, "offset": offset, "sort": sort})
    restriction = scope(request)
    if request.principal.identified:
        out = engine.search(request.data, query, patients=patients, limit=limit, offset=offset, sort=sort,
                            departments=restriction["departments"], persons=restriction["persons"]).as_dict()
        return _with_people(request, out)
    result = engine.search(request.data, query, patients=patients, limit=limit, offset=offset, sort=sort, departments=restriction["departments"],
                           persons=restriction["persons"], view="pseudonymised", patient_of=lambda alias: person_of_pseudonym(request.data, alias))
    return _pseudonymised(request, _with_people(request, result.as_dict()))


def note(request: Request, note_id: int, query: str = "", cite: str = "") -> dict:
    """A note as ``patients.note`` serves it (access checked, audited, pseudonymised for
    researchers), with ``marks``: what ``query`` matched in it, [start, end, context] in the
    text served (``marks_unavailable`` when the index holds another version of that text), and
    ``cite``: the passage ``START-END`` of that text, or None when it lies outside it
    (``cite_invalid``); ``query_error`` for a query that does not parse."""
    found = patient_service.note(request, note_id)
    text = found["text"] or ""
    found.update(marks=[], marks_unavailable=False, cite=_passage(cite, len(text)), cite_invalid=bool(cite) and _passage(cite, len(text)) is None)
    if query.strip():
        audit(request, "note_search", query, {"note_id": note_id})
        try:
            indexed, marks = engine.note_marks(request.data, query, note_id, view="identified" if request.principal.identified else "pseudonymised")
        except QueryError as exc:  # the note is readable without its marks: a bad query or no index says so, never an error page
            found["query_error"] = str(exc)
            return found
        except SearchError:
            indexed, marks = None, []
        if indexed == text:
            found["marks"] = [list(m) for m in marks]
        else:  # not indexed yet, or indexed before an edit: offsets of another text would mark the wrong words
            found["marks_unavailable"] = True
    return found


def facet_links(query: str, facets: dict[str, dict]) -> dict[str, list[dict]]:
    """Each facet value with the query that filters on it (``refine``) and whether that filter is
    in the query already."""
    active = refine.active_filters(query)
    return {name: [{"value": value, "count": count, "query": refine.refined(query, name, value), "active": refine.facet_active(active, name, value)}
                   for value, count in values.items()] for name, values in facets.items() if name in refine.FACET_FIELDS}


def active_filters(query: str) -> list[dict]:
    """The filters at the top of the query, each with the query without it (``refine``)."""
    return refine.active_filters(query)


def _passage(cite: str, length: int) -> tuple[int, int] | None:
    start, _, end = cite.partition("-")
    if not (start.isdigit() and end.isdigit()) or not 0 <= int(start) < int(end) <= length:
        return None
    return int(start), int(end)


def _with_people(request: Request, out: dict) -> dict:
    """Sex and age of the patients of a patient-level result (read before their ids become
    pseudonyms): age at death, else today; a band for researchers, whose other dates are
    shifted and who need no exact birth date to judge a row."""
    rows = out.get("patients") or []
    if not rows:
        return out
    ids = [p["person_id"] for p in rows]
    marks = ", ".join("?" for _ in ids)
    with open_store(request.data, read_only=True) as store:
        people = {r["person_id"]: r for r in store.query_dicts(
            f"SELECT p.person_id, p.gender_source_value AS sex, p.year_of_birth, p.month_of_birth, p.day_of_birth, p.birth_datetime, d.death_date "
            f"FROM person p LEFT JOIN death d USING (person_id) WHERE p.person_id IN ({marks})", ids)}
    for row in rows:
        person = people.get(row["person_id"], {})
        age = _age(person, dt.date.today())
        row["sex"] = person.get("sex")
        row["age"] = age if request.principal.identified or age is None else _band(age)
    return out


def _age(person: dict, today: dt.date) -> int | None:
    birth = person.get("birth_datetime")
    if birth is not None:
        birth = birth.date() if isinstance(birth, dt.datetime) else birth
    elif person.get("year_of_birth"):
        birth = dt.date(person["year_of_birth"], person.get("month_of_birth") or 7, person.get("day_of_birth") or 1)
    else:
        return None
    end = person.get("death_date") or today
    end = end.date() if isinstance(end, dt.datetime) else end
    return max(0, end.year - birth.year - ((end.month, end.day) < (birth.month, birth.day)))


def _band(age: int) -> str:
    if age >= 90:
        return "90+"
    low = age - age % AGE_BAND
    return f"{low}-{low + AGE_BAND - 1}"


def _pseudonymised(request: Request, out: dict) -> dict:
    """The researcher's result: pseudonyms for person ids, no visit, counts suppressed or rounded
    (``disclosure``), and no list of fewer documents or patients than the threshold (the text,
    titles and dates come pseudonymised from the index already)."""
    if small(out["total"]):
        out["documents"] = []
        out.setdefault("withheld", []).append(f"documents: fewer than {threshold()} match, none is listed")
    for document in out["documents"]:
        if document["person_id"] is not None:
            document["person_id"] = pseudonym(request.data, document["person_id"])
        document["visit_id"] = None
    out["total"] = blur(out["total"])
    out["facets"] = {name: {k: blur(v) for k, v in values.items()} for name, values in out["facets"].items()}
    if out.get("patients") is not None:
        if small(out["patients_total"]):
            out["patients"] = []
            out.setdefault("withheld", []).append(f"patients: fewer than {threshold()} match, none is listed")
        out["patients"] = [{**p, "person_id": pseudonym(request.data, p["person_id"]), "hits": blur(p["hits"])} for p in out["patients"]]
        out["patients_total"] = blur(out["patients_total"])
    out["document_patients"] = blur(out.get("document_patients"))
    return out


def warm_up() -> None:
    """Load what the first search needs -- the terminology (a million objects, about 3 s) and
    the lexicon's phrase table -- before a server takes requests: loaded lazily, twenty first
    requests arriving at once would each build them (``lru_cache`` does not make callers wait
    for one another) and time out together."""
    from clinsearch.search.expand import lookup
    from clinsearch.terminology.defaults import abbreviation_senses, default

    default()
    abbreviation_senses()
    lookup("embolie pulmonaire")
