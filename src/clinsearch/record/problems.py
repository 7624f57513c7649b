"""The problem list: one line per concept from coded conditions and the NLP's affirmed mentions,
grouped by hierarchy (a CIM-10 code under its three-character category: E11.9 and "DT2" are one
line, "Diabète sucré de type 2"), each with its first and last date, a status and its citations.

What is not the patient's current or past disease is kept apart and labelled, never dropped:
mentions in a family member (``family_history``), negated mentions (``negated``: "pas d'EP") and
hypotheses (``hypothetical``: "EP à éliminer"). Symptoms and signs (CIM-10 chapter R) and
lifestyle (tobacco) have sections of their own (``sections.json``).

Status: a problem is ``history`` when its latest evidence is more than ``RECENT_DAYS`` older
than the patient's latest record, otherwise ``active``. A mention under "Antécédents" does not make
a problem past: French notes list there every pre-existing disease, the chronic ones still
treated included ("ATCD : HTA, DT2"); such a line says ``pre_existing``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from functools import cache
from importlib import resources

from clinsearch.record.citations import note_citation, row_citation, unique

RECENT_DAYS = 730
CIM10 = ("CIM10", "ICD10", "ICD10CM", "ICD10FR")


@cache
def sections() -> dict:
    return json.loads(resources.files("clinsearch.record").joinpath("sections.json").read_text(encoding="utf-8"))


def section_of(vocabulary: str, code: str) -> str:
    """``problems``, ``symptoms`` or ``lifestyle`` for a condition's code."""
    if vocabulary in CIM10:
        plain = code.replace(".", "")
        for name, prefixes in sections()["cim10"].items():
            if any(plain.startswith(p.replace(".", "")) for p in prefixes):
                return name
    return "problems"


def group_key(vocabulary: str | None, code: str) -> tuple[str, str]:
    """The line a code belongs to: a CIM-10 code's three-character category, another code itself."""
    if vocabulary in CIM10:
        return "CIM10", code.replace(".", "")[:3].upper()
    return vocabulary or "?", code


def context(mention: dict) -> str:
    """affirmed, negated, hypothetical or family (the search's contexts)."""
    if "family" in mention["modifiers"]:
        return "family"
    if mention["negated"]:
        return "negated"
    if "hypothesis" in mention["modifiers"]:
        return "hypothetical"
    return "affirmed"


def condition_lines(record: dict, terminology, lang: str, as_of) -> dict:
    """``problems``, ``symptoms``, ``lifestyle``, ``family_history``, ``negated``, ``hypothetical``."""
    notes = {n["note_id"]: n for n in record["notes"]}
    groups: dict[str, dict] = defaultdict(dict)
    for row in record["conditions"]:
        vocabulary, code = _coded(row)
        if not code:
            continue
        key = group_key(vocabulary, code)
        line = _line(groups[section_of(*key)], key, terminology, lang, row["name"] or row["standard_name"] or code)
        text = " ".join(x for x in (code, row["name"] or row["standard_name"]) if x)
        line["evidence"].append((row["date"], False, row_citation("condition_occurrence", row["id"], row["date"], text)))
    for m in record["mentions"]:
        if m["vocabulary"] not in CIM10 or m["note_id"] not in notes:
            continue
        key = group_key(m["vocabulary"], m["code"])
        where = context(m)
        section = section_of(*key) if where == "affirmed" else {"family": "family_history"}.get(where, where)
        line = _line(groups[section], key, terminology, lang, m["text"])
        line["evidence"].append((m["date"], m["history"], note_citation(notes[m["note_id"]], m)))
    out = {name: [] for name in ("problems", "symptoms", "lifestyle", "family_history", "negated", "hypothetical")}
    for section, lines in groups.items():
        out[section] = sorted((_finish(line, as_of, section) for line in lines.values()), key=_order)
    return out


def _coded(row: dict) -> tuple[str | None, str | None]:
    """A coded condition's vocabulary and code: its source concept, else its standard concept,
    else its source value (a code without a concept row)."""
    if row["code"]:
        return row["vocabulary"], row["code"]
    if row["standard_code"]:
        return row["standard_vocabulary"], row["standard_code"]
    value = (row["source_value"] or "").strip()
    return ("CIM10" if value[:1].isalpha() and value[1:3].isdigit() else None), value or None


def _line(lines: dict, key: tuple[str, str], terminology, lang: str, fallback: str) -> dict:
    if key not in lines:
        lines[key] = {"label": concept_label(terminology, key, lang) or fallback, "code": key[1], "vocabulary": key[0], "evidence": []}
    return lines[key]


def concept_label(terminology, key: tuple[str, str], lang: str) -> str | None:
    concept = terminology.concept(*key)
    if concept is None:
        return None
    names = concept.names.get(lang) or ()
    label = names[0] if names else concept.label
    return label[:1].upper() + label[1:].lower() if label.isupper() else label


def _finish(line: dict, as_of, section: str) -> dict:
    evidence = sorted(line.pop("evidence"), key=lambda e: (str(e[0] or ""), not e[1]))
    dates = [e[0] for e in evidence if e[0]]
    first, last = (min(dates), max(dates)) if dates else (None, None)
    old = last is not None and as_of is not None and (as_of - last).days > RECENT_DAYS
    status = ("history" if old else "active") if section in ("problems", "lifestyle") else None
    citations = unique([e[2] for e in evidence])
    return {**line, "status": status, "first_date": first, "last_date": last, "pre_existing": bool(evidence) and evidence[0][1],
            "coded": sum(1 for c in citations if c.get("table")), "written": sum(1 for c in citations if c.get("note_id")), "citations": citations}


def _order(line: dict) -> tuple:
    """Active first, then the most recent."""
    return (line["status"] == "history", -(line["last_date"].toordinal() if line["last_date"] else 0), line["label"])
