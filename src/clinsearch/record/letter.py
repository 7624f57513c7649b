"""A drafted discharge or referral letter, assembled from the summary -- reason, history,
problems, treatments, results -- every sentence carrying the citations it comes from.

The draft never invents: each sentence is a template filled with one line of the summary (a
label, a date, a dose, a value and its range), and a sentence without a source is not written.
What only the clinician knows (the conclusion, what to do next) is left as a marked blank for
them to fill in. French, or English for a record written in English (``docs/letters.md``: how a
local generative model could later rephrase the same facts behind the same citations)."""

from __future__ import annotations

import datetime as dt

from clinsearch.record.labs import number

WORDS = {
    "fr": {
        "discharge": "Compte rendu de sortie (brouillon)", "referral": "Courrier d'adressage (brouillon)",
        "patient": "Patient·e : {name}, {sex}{age}.", "age": ", {age} ans", "sex_M": "homme", "sex_F": "femme", "sex_": "sexe non renseigné",
        "reason": "Motif", "reason_text": "Dernier motif de venue : {text} ({date}).",
        "history": "Antécédents", "history_line": "{label}, connu·e depuis le {first}.",
        "family": "Antécédents familiaux", "family_line": "Antécédent familial de {label_lower}.",
        "problems": "Problèmes actifs", "problem_line": "{label} ({code}), documenté·e du {first} au {last}.",
        "problem_once": "{label} ({code}), documenté·e le {first}.",
        "allergies": "Allergies", "allergy_line": "Allergie : {label}{reaction}.",
        "treatments": "Traitement en cours", "treatment_line": "{label} : {dose}.", "treatment_nodose": "{label} (depuis le {first}).",
        "past_treatments": "Traitements antérieurs", "past_line": "{label}, du {first} au {last}.",
        "results": "Résultats", "lab_line": "{label} : {value} {unit} le {date}{range}.", "range": " (valeurs de référence {low}–{high})",
        "range_high": " (valeur de référence < {high})", "range_low": " (valeur de référence > {low})",
        "imaging": "Imagerie", "imaging_line": "{description} du {date} : {conclusion}.",
        "procedures": "Actes", "procedure_line": "{label} le {last}.",
        "conclusion": "Conclusion", "blank": "[À compléter par le médecin : conclusion, suites et surveillance.]",
        "sources": "Sources", "draft": "Brouillon préparé par clinsearch à partir du dossier ; à relire et compléter avant envoi.",
    },
    "en": {
        "discharge": "Discharge summary (draft)", "referral": "Referral letter (draft)",
        "patient": "Patient: {name}, {sex}{age}.", "age": ", {age} years old", "sex_M": "male", "sex_F": "female", "sex_": "sex not recorded",
        "reason": "Reason", "reason_text": "Latest reason for attendance: {text} ({date}).",
        "history": "Past history", "history_line": "{label}, known since {first}.",
        "family": "Family history", "family_line": "Family history of {label_lower}.",
        "problems": "Active problems", "problem_line": "{label} ({code}), documented from {first} to {last}.",
        "problem_once": "{label} ({code}), documented on {first}.",
        "allergies": "Allergies", "allergy_line": "Allergy: {label}{reaction}.",
        "treatments": "Current treatment", "treatment_line": "{label}: {dose}.", "treatment_nodose": "{label} (since {first}).",
        "past_treatments": "Past treatments", "past_line": "{label}, from {first} to {last}.",
        "results": "Results", "lab_line": "{label}: {value} {unit} on {date}{range}.", "range": " (reference range {low}–{high})",
        "range_high": " (reference < {high})", "range_low": " (reference > {low})",
        "imaging": "Imaging", "imaging_line": "{description} on {date}: {conclusion}.",
        "procedures": "Procedures", "procedure_line": "{label} on {last}.",
        "conclusion": "Conclusion", "blank": "[To be completed by the physician: conclusion, follow-up.]",
        "sources": "Sources", "draft": "Draft prepared by clinsearch from the record; to be read and completed before sending.",
    },
}
KINDS = ("discharge", "referral")
MAX_CITATIONS = 3  # per sentence: the first, the latest and one between


def draft(summary: dict, kind: str = "discharge", lang: str = "fr") -> dict:
    """``{"kind", "lang", "title", "sections": [{"heading", "sentences": [{"text", "sources"}]}],
    "sources": [citation + {"n"}], "notice"}`` -- ``sources`` of a sentence are numbers in the
    letter's list of sources."""
    w = WORDS.get(lang, WORDS["fr"])
    sources: list[dict] = []

    def cite(citations: list[dict]) -> list[int]:
        chosen = citations if len(citations) <= MAX_CITATIONS else [citations[0], citations[len(citations) // 2], citations[-1]]
        numbers = []
        for c in chosen:
            key = (c.get("note_id"), c.get("start"), c.get("table"), c.get("row"))
            for s in sources:
                if (s.get("note_id"), s.get("start"), s.get("table"), s.get("row")) == key:
                    numbers.append(s["n"])
                    break
            else:
                sources.append({**c, "n": len(sources) + 1})
                numbers.append(len(sources))
        return numbers

    def sentence(template: str, citations: list[dict], **values) -> dict | None:
        if not citations:
            return None  # no source, no sentence
        return {"text": w[template].format(**values), "sources": cite(citations)}

    d = lambda value: _date(value, lang)  # noqa: E731
    sections = []

    def section(heading: str, sentences: list) -> None:
        kept = [s for s in sentences if s]
        if kept:
            sections.append({"heading": w[heading], "sentences": kept})

    person = summary["person"]
    name = " ".join(x for x in (person.get("family_name"), person.get("given_name")) if x) or str(person.get("person_id"))
    identity = {"text": w["patient"].format(name=name, sex=w.get(f"sex_{person.get('sex') or ''}", w["sex_"]),
                                            age=w["age"].format(age=person["age"]) if person.get("age") is not None else ""),
                "sources": cite([{"table": "person", "row": person.get("person_id"), "date": None, "text": name}])}
    sections.append({"heading": "", "sentences": [identity]})
    if summary.get("reason"):
        r = summary["reason"]
        section("reason", [sentence("reason_text", r["citations"], text=r["text"], date=d(r["date"]))])
    problems = summary["problems"]
    section("problems", [sentence("problem_line" if p["first_date"] != p["last_date"] else "problem_once", p["citations"], label=p["label"],
                                  code=p["code"], first=d(p["first_date"]), last=d(p["last_date"])) for p in problems if p["status"] == "active"])
    section("history", [sentence("history_line", p["citations"], label=p["label"], first=d(p["first_date"])) for p in problems if p["status"] == "history"])
    section("family", [sentence("family_line", p["citations"], label_lower=p["label"][:1].lower() + p["label"][1:]) for p in summary["family_history"]])
    section("allergies", [sentence("allergy_line", a["citations"], label=a["label"], reaction=f" ({a['reaction']})" if a.get("reaction") else "") for a in summary["allergies"]])
    current = [t for t in summary["treatments"] if t["status"] == "current"]
    section("treatments", [sentence("treatment_line" if t["dose"] else "treatment_nodose", t["citations"][-1:], label=t["label"], dose=t["dose"], first=d(t["first_date"]))
                           for t in current])
    section("past_treatments", [sentence("past_line", t["citations"], label=t["label"], first=d(t["first_date"]), last=d(t["last_date"]))
                                for t in summary["treatments"] if t["status"] != "current"])
    section("results", [_lab(sentence, t, d, lang) for panel in summary["labs"] for t in panel["tests"] if t["key"] or t["flag"] in ("low", "high")])
    section("imaging", [sentence("imaging_line", s["report"]["citations"], description=s["description"] or s["modality"] or "", date=d(s["date"]),
                                 conclusion=s["report"]["conclusion"].rstrip(".")) for s in summary["imaging"] if s.get("report") and s["report"].get("conclusion")][:5])
    section("procedures", [sentence("procedure_line", p["citations"], label=p["label"], last=d(p["last_date"])) for p in summary["procedures"]])
    sections.append({"heading": w["conclusion"], "sentences": [{"text": w["blank"], "sources": [], "blank": True}]})
    return {"kind": kind, "lang": lang, "title": w[kind if kind in KINDS else "discharge"], "sections": sections, "sources": sources,
            "notice": w["draft"], "sources_heading": w["sources"]}


def _lab(sentence, test: dict, d, lang: str):
    low, high = test["low"], test["high"]
    key = "range" if low is not None and high is not None else "range_high" if high is not None else "range_low" if low is not None else None
    words = WORDS.get(lang, WORDS["fr"])
    shown = words[key].format(low=number(low, lang), high=number(high, lang)) if key else ""
    return sentence("lab_line", test["citations"], label=test["label"], value=test["display"], unit=test["unit"] or "", date=d(test["date"]), range=shown)


def _date(value, lang: str) -> str:
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if value is None:
        return "?"
    return value.strftime("%d/%m/%Y") if lang == "fr" else value.isoformat()
