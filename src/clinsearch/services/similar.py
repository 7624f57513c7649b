"""Patients like mine, as the principal may see them: the same service behind
``GET /api/v1/patients/{key}/similar``, the page ``/patients/{key}/similar`` and ``clinsearch similar``.

From one patient, the most similar patients of the warehouse by their concepts (coded
conditions, drugs, procedures and affirmed NLP mentions) weighted by rarity (TF-IDF, cosine:
``clinsearch.similar``), each with the concepts both share and those that tell them apart.

* clinicians name and get person ids; a restricted clinician is compared with, and shown, the
  patients of their perimeter only (their departments' patients and those given by name), and
  the NLP of the notes they may read only (``access.note_scope``);
* researchers name and get pseudonyms; a concept held by fewer patients of the warehouse than
  the small-count threshold (10) is never shown -- withheld, and counted as such -- and a list
  of fewer than 10 patients is not shown at all (the limit is raised to 10 for them).

One audit entry a request, written before the warehouse is read.
"""

from __future__ import annotations

import numpy as np

from clinsearch.services.access import Request, audit, check_patient, note_scope, pseudonym, resolve_patient, shown_count
from clinsearch.services.disclosure import shown, threshold
from clinsearch.similar.cache import concepts
from clinsearch.similar.concepts import labels
from clinsearch.similar.rank import candidates, explain, neighbours, weigh
from clinsearch.terminology.defaults import default
from clinsearch.warehouse.store import open_store

MAX_LIMIT = 100
SHARED = 8  # concepts shown per list
DIFFERENT = 5
PROFILE = 12  # the query patient's own concepts shown, heaviest first
METHOD = "tf-idf (1 + ln tf, smoothed idf) of coded and affirmed written concepts, cosine similarity"


def similar(request: Request, key: str, limit: int = 10, lang: str = "fr") -> dict:
    """``{"person_id", "patients": [{"person_id", "similarity", "shared", "different": {"only_query",
    "only_similar"}, ...}], "profile", "limit", "compared", "withheld", "min_count", "reason", "note", "method"}``, JSON-ready.

    ``profile``: the patient's own concepts, heaviest first; ``compared``: how many patients share
    at least one concept with them; ``withheld``: how many of the patient's concepts are rare and
    withheld (researchers; each listed patient has its own ``withheld``); ``min_count``: the
    researchers' threshold (None for clinicians); ``reason`` of an empty list: ``no_concepts`` (nothing
    to compare) or ``small_group`` (researchers: fewer than ``min_count`` patients to list), with
    ``note`` saying it in a sentence."""
    person_id = resolve_patient(request, key)
    researcher = not request.principal.identified
    limit = max(1, min(int(limit), MAX_LIMIT))
    if researcher:
        limit = max(limit, threshold())  # a list under the threshold is never shown
    with open_store(request.data, read_only=True) as store:
        check_patient(request, store, person_id)
        audit(request, "similar", str(person_id), {"limit": limit})
        notes = note_scope(request)
        found = concepts(store, request.data, notes["departments"], notes["whole"])
        allowed = _perimeter(request, store, found.persons)
        weights = weigh(found.counts)
        row = found.row(person_id)
        hidden = weights.patients < threshold() if researcher else np.zeros(len(weights.patients), dtype=bool)
        result = {"person_id": pseudonym(request.data, person_id) if researcher else person_id, "patients": [], "limit": limit,
                  "profile": [], "compared": 0, "withheld": 0, "min_count": threshold() if researcher else None, "reason": None, "note": None, "method": METHOD}
        if row is None or weights.matrix[row].nnz == 0:
            result["reason"] = "no_concepts"
            result["note"] = "no coded condition, drug, procedure nor affirmed written mention for this patient: nothing to compare"
            return result
        mine = weights.matrix[row]
        profile = _ordered(mine.indices, mine.data)
        result["withheld"] = sum(1 for c, _ in profile if hidden[c])
        profile = [(c, w) for c, w in profile if not hidden[c]][:PROFILE]
        compared = candidates(weights, row, allowed)
        result["compared"] = shown_count(request, compared)
        listed = []
        if researcher and compared < threshold():
            result["reason"] = "small_group"
            result["note"] = f"fewer than {threshold()} patients share a concept with this one: none is shown"
        else:
            for other, similarity in neighbours(weights, row, limit, allowed):
                why = explain(weights, row, other)
                kept = {name: [(c, w) for c, w in getattr(why, name) if not hidden[c]] for name in ("shared", "only_query", "only_other")}
                withheld = sum(len(getattr(why, name)) - len(kept[name]) for name in kept)
                listed.append((other, similarity, kept["shared"][:SHARED], kept["only_query"][:DIFFERENT], kept["only_other"][:DIFFERENT], withheld))
        shown_columns = {c for c, _ in profile} | {c for _, _, a, b, d, _ in listed for c, _ in (*a, *b, *d)}
        names = labels(store, default(), [found.keys[c] for c in sorted(shown_columns)], lang)

    def features(items):
        return [_feature(found, weights, c, w, names, researcher) for c, w in items]

    result["profile"] = features(profile)
    for other, similarity, shared, only_query, only_other, withheld in listed:
        pid = int(found.persons[other])
        entry = {"person_id": pseudonym(request.data, pid) if researcher else pid, "similarity": round(similarity, 4),
                 "shared": features(shared), "different": {"only_query": features(only_query), "only_similar": features(only_other)}}
        if researcher:
            entry["withheld"] = withheld
        result["patients"].append(entry)
    return result


def _perimeter(request: Request, store, persons: np.ndarray) -> np.ndarray | None:
    """Which rows a restricted clinician may be shown (``access.check_patient``'s rule); None: all."""
    principal = request.principal
    if principal.role != "clinician" or not principal.restricted:
        return None
    members = set(principal.patients)
    if principal.departments:
        members.update(pid for (pid,) in store.query(
            "SELECT DISTINCT n.person_id FROM note n JOIN care_site c USING (care_site_id) WHERE c.care_site_name IN (SELECT unnest(?))",
            [list(principal.departments)]))
    return np.isin(persons, np.array(sorted(members), dtype=np.int64))


def _ordered(columns, values) -> list[tuple[int, float]]:
    return sorted(zip(np.asarray(columns).tolist(), np.asarray(values).tolist()), key=lambda t: (-t[1], t[0]))


def _feature(found, weights, column: int, weight: float, names: dict, researcher: bool) -> dict:
    vocabulary, code = found.keys[column]
    held = int(weights.patients[column])
    return {"concept": f"{vocabulary}:{code}", "vocabulary": vocabulary, "code": code, "label": names.get((vocabulary, code), code),
            "kind": found.kinds[column], "weight": round(float(weight), 4), "patients": shown(held) if researcher else held}
