"""Treatments, allergies, procedures and imaging of the summary, each line with its citations.

Treatments: one line per drug (ATC code, or the row's own vocabulary), from ``drug_exposure``
and from the notes' affirmed drug mentions; the dose is the prescription's (``sig``, quantity,
route), else the sentence of the latest note naming the drug. A treatment is ``current`` when its
latest evidence -- an exposure still running, or a note naming it -- is within ``CURRENT_DAYS``
of the patient's latest record; otherwise ``past``.

Allergies: FHIR AllergyIntolerance rows (``observation`` with the allergy's type as qualifier,
how ingest writes them) and coded personal allergies (CIM-10 Z88, T78.4). Nothing is inferred:
no row, no line -- the page says "none recorded", never "no known allergy".
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

from clinsearch.record.citations import note_citation, row_citation, unique
from clinsearch.record.problems import concept_label, context

CURRENT_DAYS = 90
ALLERGY_QUALIFIERS = ("allergy", "intolerance")
ALLERGY_CODES = ("Z88", "T78.4", "T784")


def treatments(record: dict, terminology, lang: str, as_of) -> list[dict]:
    notes = {n["note_id"]: n for n in record["notes"]}
    lines: dict[tuple, dict] = {}
    for row in record["drugs"]:
        key = (row["vocabulary"] or "?", row["code"] or row["source_value"] or "?")
        line = _drug_line(lines, key, terminology, lang, row["name"] or row["standard_name"] or row["source_value"])
        dose = " ".join(str(x) for x in (row["sig"], row["route"]) if x) or (f"{row['quantity']:g} {row['dose_unit'] or ''}".strip() if row["quantity"] else "")
        end = row["end_date"] or row["date"]
        line["evidence"].append((row["date"], end, dose, row_citation("drug_exposure", row["id"], row["date"], dose or line["label"])))
    for m in record["mentions"]:
        if m["vocabulary"] != "ATC" or m["note_id"] not in notes or context(m) != "affirmed":
            continue
        line = _drug_line(lines, ("ATC", m["code"]), terminology, lang, m["text"])
        citation = note_citation(notes[m["note_id"]], m)
        line["evidence"].append((m["date"], m["date"], citation["text"].lstrip("-•* ").strip(), citation))
    out = [_finish_drug(line, as_of) for line in lines.values()]
    return sorted(out, key=lambda d: (d["status"] != "current", d["label"]))


def _drug_line(lines: dict, key: tuple, terminology, lang: str, fallback) -> dict:
    if key not in lines:
        lines[key] = {"label": concept_label(terminology, key, lang) or str(fallback or key[1]), "code": key[1], "vocabulary": key[0], "evidence": []}
    return lines[key]


def _finish_drug(line: dict, as_of) -> dict:
    evidence = sorted(line.pop("evidence"), key=lambda e: (str(e[1] or ""), e[3].get("table") is not None))
    first = min((e[0] for e in evidence if e[0]), default=None)
    last = max((e[1] for e in evidence if e[1]), default=None)
    doses = [e[2] for e in evidence if e[2]]
    current = last is not None and as_of is not None and (as_of - last).days <= CURRENT_DAYS
    return {**line, "dose": doses[-1] if doses else None, "first_date": first, "last_date": last,
            "status": "current" if current else "past", "citations": unique([e[3] for e in evidence])}


def allergies(record: dict) -> list[dict]:
    out = []
    for row in record["observations"]:
        if (row["qualifier"] or "").lower() in ALLERGY_QUALIFIERS:
            text = " ".join(x for x in (row["name"] or row["source_value"], row["value_as_string"] and f"({row['value_as_string']})") if x)
            out.append({"label": row["name"] or row["source_value"], "code": row["code"] or row["source_value"], "vocabulary": row["vocabulary"],
                        "reaction": row["value_as_string"], "kind": row["qualifier"], "status": row["value_source_value"], "date": row["date"],
                        "citations": [row_citation("observation", row["id"], row["date"], text)]})
    for row in record["conditions"]:
        code = (row["code"] or row["source_value"] or "")
        if code.replace(".", "").startswith(tuple(c.replace(".", "") for c in ALLERGY_CODES)):
            out.append({"label": row["name"] or code, "code": code, "vocabulary": row["vocabulary"], "reaction": None, "kind": "allergy",
                        "status": None, "date": row["date"], "citations": [row_citation("condition_occurrence", row["id"], row["date"], f"{code} {row['name'] or ''}".strip())]})
    return out


def procedures(record: dict, terminology, lang: str) -> list[dict]:
    lines: dict[tuple, dict] = defaultdict(lambda: {"dates": [], "citations": []})
    for row in record["procedures"]:
        key = (row["vocabulary"] or "?", row["code"] or row["source_value"] or "?")
        line = lines[key]
        line.setdefault("label", concept_label(terminology, key, lang) or row["name"] or key[1])
        line["dates"].append(row["date"])
        line["citations"].append(row_citation("procedure_occurrence", row["id"], row["date"], f"{key[1]} {row['name'] or ''}".strip()))
    out = [{"label": line["label"], "code": key[1], "vocabulary": key[0], "first_date": min(line["dates"]), "last_date": max(line["dates"]),
            "count": len(line["dates"]), "citations": unique(line["citations"])} for key, line in lines.items()]
    return sorted(out, key=lambda p: p["last_date"], reverse=True)


def imaging(record: dict, report_types: tuple[str, ...]) -> list[dict]:
    """Studies (``image_occurrence``) and imaging reports (notes of those types), a study
    joined with the report of its visit or its day."""
    reports = [n for n in record["notes"] if (n["type"] or "") in report_types]
    used, out = set(), []
    for study in record["imaging"]:
        report = next((n for n in reports if n["note_id"] not in used and (n["visit_id"] == study["visit_id"] or n["date"] == study["date"])), None)
        if report is not None:
            used.add(report["note_id"])
        text = " ".join(x for x in (study["modality"], study["body_part"], study["description"]) if x)
        out.append({"date": study["date"], "modality": study["modality"], "body_part": study["body_part"], "description": study["description"],
                    "report": _report(report), "citations": [row_citation("image_occurrence", study["id"], study["date"], text)]})
    for report in reports:
        if report["note_id"] not in used:
            out.append({"date": report["date"], "modality": None, "body_part": None, "description": report["title"], "report": _report(report), "citations": []})
    return sorted(out, key=lambda s: s["date"] or dt.date.min, reverse=True)


def _report(note: dict | None) -> dict | None:
    if note is None:
        return None
    found = headed_line(note, CONCLUSION)
    return {"note_id": note["note_id"], "title": note["title"], "date": note["date"],
            "conclusion": found["text"].split(":", 1)[1].strip() if found else None, "citations": [found] if found else []}


CONCLUSION = re.compile(r"^[ \t]*(conclusions?|impression)[ \t]*:[ \t]*\S.*$", re.IGNORECASE | re.MULTILINE)
REASON = re.compile(r"^[ \t]*(motif[^:\n]{0,40}|reason for [a-z ]{0,20}|chief complaint)[ \t]*:[ \t]*\S.*$", re.IGNORECASE | re.MULTILINE)


def headed_line(note: dict, pattern: re.Pattern) -> dict | None:
    """The first line of ``note`` headed as ``pattern`` says ("Conclusion : ...", "Motif de
    consultation : ..."), as a citation of that line."""
    text = note["text"] or ""
    found = pattern.search(text)
    if found is None:
        return None
    start, end = found.start(), found.end()
    while text[start].isspace():
        start += 1
    return {"note_id": note["note_id"], "start": start, "end": end, "text": text[start:end].strip(), "date": note["date"], "title": note["title"]}


def reason(record: dict) -> dict | None:
    """Why the patient last came: the reason line of the latest note that has one."""
    for note in reversed(record["notes"]):
        found = headed_line(note, REASON)
        if found:
            return {"text": found["text"].split(":", 1)[1].strip().rstrip("."), "date": note["date"], "citations": [found]}
    return None
