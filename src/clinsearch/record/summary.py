"""A patient's summary, built from the warehouse alone: identity and age, the problem list with
its citations, what is kept apart (family history, negated, hypothetical), lifestyle, symptoms,
treatments, allergies, procedures, imaging with its reports, labs by panel, and the events of a
timeline. The scores are added by the service (they have their own access rule).

Everything is plain data (dates as ``datetime.date``); ``services.patients.summary`` checks who
asks, audits, and pseudonymises for researchers."""

from __future__ import annotations

import datetime as dt

from clinsearch.record.citations import row_citation
from clinsearch.record.labs import labs, number
from clinsearch.record.problems import condition_lines
from clinsearch.record.read import read_record
from clinsearch.record.treatments import allergies, imaging, procedures, reason, treatments

IMAGING_REPORTS = ("CRI", "imaging", "radiology")  # note types that are imaging reports


def summarise(store, person_id: int, terminology, lang: str = "fr", departments: tuple[str, ...] | None = None, today: dt.date | None = None) -> dict:
    record = read_record(store, person_id, departments)
    as_of = last_record_date(record)
    person = _person(record["person"], as_of, today or dt.date.today())
    out = {"person": person, "as_of": as_of, "language": record_language(record), "reason": reason(record)}
    out.update(condition_lines(record, terminology, lang, as_of))
    out["treatments"] = treatments(record, terminology, lang, as_of)
    out["allergies"] = allergies(record)
    out["procedures"] = procedures(record, terminology, lang)
    out["imaging"] = imaging(record, IMAGING_REPORTS)
    out["labs"] = labs(record, terminology, lang, person.get("sex"))
    out["visits"] = [{"id": v["id"], "date": v["date"], "end_date": v["end_date"], "kind": v["kind"]} for v in record["visits"]]
    out["notes"] = [{"note_id": n["note_id"], "date": n["date"], "type": n["type"], "title": n["title"], "department": n["department"]} for n in record["notes"]]
    out["lifestyle"] = smoking(record) + out["lifestyle"]
    return out


def last_record_date(record: dict) -> dt.date | None:
    """The patient's latest dated fact: the "as of" of statuses (active, current)."""
    dates = [row.get("date") for name in ("notes", "conditions", "drugs", "procedures", "measurements", "observations", "imaging", "visits")
             for row in record[name]]
    dates = [d for d in dates if isinstance(d, dt.date)]
    return max(dates) if dates else None


def record_language(record: dict) -> str:
    """The language most of the patient's notes are written in (French when none says)."""
    langs = [(n["language"] or "fr")[:2].lower() for n in record["notes"]]
    return "en" if langs and langs.count("en") > len(langs) / 2 else "fr"


def _person(row: dict, as_of, today: dt.date) -> dict:
    birth = row.get("birth_datetime")
    if birth is None and row.get("year_of_birth"):
        birth = dt.date(row["year_of_birth"], row.get("month_of_birth") or 7, row.get("day_of_birth") or 1)
    end = row.get("death_date") or today
    age = None if birth is None else end.year - birth.year - ((end.month, end.day) < (birth.month, birth.day))
    return {"person_id": row["person_id"], "ipp": row.get("ipp"), "family_name": row.get("family_name"), "given_name": row.get("given_name"),
            "sex": row.get("sex"), "birth_date": birth, "age": age, "death_date": row.get("death_date"), "last_record": as_of}


def smoking(record: dict) -> list[dict]:
    """The latest recorded tobacco status (LOINC 72166-2, how FHIR and the demo write it)."""
    rows = [r for r in record["observations"] if (r["code"] or r["source_value"]) == "72166-2"]
    if not rows:
        return []
    row = rows[-1]
    text = row["value_as_string"] or row["value_source_value"] or ""
    return [{"label": text, "code": "72166-2", "vocabulary": "LOINC", "status": None, "first_date": rows[0]["date"], "last_date": row["date"],
             "coded": len(rows), "written": 0, "citations": [row_citation("observation", row["id"], row["date"], text)]}]


def timeline(summary: dict) -> list[dict]:
    """The marks of the timeline, each with the source it opens: ``{"kind", "date", "end",
    "label", "note_id" | "anchor"}``."""
    marks = [{"kind": "visit", "date": v["date"], "end": v["end_date"], "label": v["kind"] or "", "anchor": f"visit-{v['id']}"} for v in summary["visits"]]
    marks += [{"kind": "note", "date": n["date"], "end": None, "label": n["title"] or n["type"] or "", "note_id": n["note_id"]} for n in summary["notes"]]
    for kind, name in (("condition", "problems"), ("drug", "treatments"), ("procedure", "procedures")):
        for line in summary[name]:
            source = next((c for c in line["citations"]), None)
            marks.append({"kind": kind, "date": line["first_date"], "end": line["last_date"], "label": line["label"], **_source(source)})
    for study in summary["imaging"]:
        marks.append({"kind": "imaging", "date": study["date"], "end": None, "label": study["description"] or study["modality"] or "",
                      **({"note_id": study["report"]["note_id"]} if study["report"] else {})})
    for panel in summary["labs"]:
        for test in panel["tests"]:
            if test["key"]:
                marks += [{"kind": "lab", "date": p["date"], "end": None, "label": f"{test['label']} {number(p['value'])} {test['unit'] or ''}".strip(), "anchor": f"lab-{test['code']}"} for p in test["points"]]
    return sorted((m for m in marks if m["date"]), key=lambda m: (m["date"], m["kind"]))


def _source(citation: dict | None) -> dict:
    if citation is None:
        return {}
    if citation.get("note_id"):
        return {"note_id": citation["note_id"], "cite": [citation["start"], citation["end"]]}
    return {"anchor": f"{citation['table']}-{citation['row']}"}
