"""Search as the principal may see it: identified results for clinicians (in their perimeter when
their account is restricted), pseudonymised ones for researchers."""

from __future__ import annotations

import datetime as dt

from clinsearch.config import secret_key
from clinsearch.nlp.pseudonymize import date_shift, moved, pseudonymize
from clinsearch.search import engine
from clinsearch.services.access import Request, audit, blur, identities, pseudonym, require_patient_data, scope
from clinsearch.warehouse.store import open_store


def search(request: Request, query: str, *, patients: bool = False, limit: int = 20, offset: int = 0) -> dict:
    """``engine.search`` as the principal may see it, as a JSON-ready dict (audited)."""
    require_patient_data(request)
    audit(request, "search", query, {"patients": patients, "limit": limit, "offset": offset})
    restriction = scope(request)
    result = engine.search(request.data, query, patients=patients, limit=limit, offset=offset,
                           departments=restriction["departments"], persons=restriction["persons"])
    out = result.as_dict()
    if request.principal.identified:
        return out
    return _pseudonymised(request, result, out)


def _pseudonymised(request: Request, result, out: dict) -> dict:
    data = request.data
    secret = secret_key(data)
    with open_store(data, read_only=True) as store:
        known = identities(store, {d.person_id for d in result.documents if d.person_id is not None})
    for hit, document in zip(result.documents, out["documents"]):
        if hit.person_id is None:
            continue  # articles: no patient
        shift = date_shift(hit.person_id, secret)
        document["person_id"] = pseudonym(data, hit.person_id)
        document["date"] = (hit.date + dt.timedelta(days=shift)).isoformat() if hit.date else None
        document["visit_id"] = None
        document["snippets"] = [_pseudonymised_snippet(s, known.get(hit.person_id), shift) for s in hit.snippets]
    out["total"] = blur(out["total"])
    out["facets"] = {name: {k: blur(v) for k, v in values.items()} for name, values in out["facets"].items()}
    if result.patients is not None:
        out["patients"] = [{"person_id": pseudonym(data, p.person_id), "hits": blur(p.hits), "coded": p.coded,
                            "last_date": (p.last_date + dt.timedelta(days=date_shift(p.person_id, secret))).isoformat() if p.last_date else None}
                           for p in result.patients]
        out["patients_total"] = blur(out["patients_total"])
    return out


def _pseudonymised_snippet(snippet, identity: dict | None, shift: int) -> dict:
    result = pseudonymize(snippet.text, identity, shift)
    highlights = [m for h in snippet.highlights if (m := moved(result.replacements, *h)) is not None]
    return {"text": result.text, "context": snippet.context, "highlights": [list(h) for h in highlights]}
