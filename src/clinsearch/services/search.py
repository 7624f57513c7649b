"""Search as the principal may see it: identified results for clinicians (in their perimeter when
their account is restricted), pseudonymised ones for researchers."""

from __future__ import annotations

from clinsearch.search import engine
from clinsearch.services.access import Request, audit, blur, person_of_pseudonym, pseudonym, require_patient_data, scope, spend_query
from clinsearch.services.disclosure import small, threshold


def search(request: Request, query: str, *, patients: bool = False, limit: int = 20, offset: int = 0) -> dict:
    """``engine.search`` as the principal may see it, as a JSON-ready dict (audited). A researcher
    searches the pseudonymised view of the index: the text they query and read has no identifier,
    the dates they filter, facet and see are shifted, ``patient:`` takes a pseudonym."""
    require_patient_data(request)
    spend_query(request, query)
    audit(request, "search", query, {"patients": patients, "limit": limit, "offset": offset})
    restriction = scope(request)
    if request.principal.identified:
        return engine.search(request.data, query, patients=patients, limit=limit, offset=offset,
                             departments=restriction["departments"], persons=restriction["persons"]).as_dict()
    result = engine.search(request.data, query, patients=patients, limit=limit, offset=offset, departments=restriction["departments"],
                           persons=restriction["persons"], view="pseudonymised", patient_of=lambda alias: person_of_pseudonym(request.data, alias))
    return _pseudonymised(request, result.as_dict())


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
