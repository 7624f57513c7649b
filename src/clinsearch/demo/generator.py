"""A deterministic synthetic French hospital, written as the files a hospital would export.

``generate(target, patients=500, notes=5000, seed=42)`` writes::

    target/sources/omop/*.csv          person, person_identity, care_site, visit_occurrence,
                                       condition_occurrence (CIM-10), measurement (LOINC),
                                       observation (smoking), drug_exposure (ATC),
                                       procedure_occurrence (CCAM), death, concept
    target/sources/documents/          one .txt per note and manifest.csv (patient = IPP)
    target/sources/imaging/            header-only DICOM files (two instances per series)
    target/sources/articles/           a PubMed XML file and a JATS article
    target/ground_truth.json           what each note says and what each patient has

The same seed gives byte-identical files. A patient's true conditions are affirmed in notes
(as current or past history) and/or coded in CIM-10 -- the ground truth lists which
(``written``, ``coded``, ``documented``) -- and notes also hold traps: negated, hypothetical
and family mentions of conditions the patient does not have.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import unicodedata
from pathlib import Path

from clinsearch.demo import phrases
from clinsearch.demo.files import write_articles, write_dicom_series
from clinsearch.demo.notes import compose
from clinsearch.ids import local_concept_id
from clinsearch.warehouse.concepts import EHR, FEMALE, MALE, VISIT
from clinsearch.warehouse.schema import TABLES

START = dt.date(2015, 1, 1)
END = dt.date(2025, 6, 30)


def generate(target: Path, patients: int = 500, notes: int = 5000, seed: int = 42) -> dict:
    rng = random.Random(seed)
    target = Path(target)
    tables: dict[str, list[dict]] = {name: [] for name in (
        "person", "person_identity", "care_site", "visit_occurrence", "condition_occurrence", "measurement",
        "observation", "drug_exposure", "procedure_occurrence", "death", "concept")}
    care_sites = {name: i for i, name in enumerate(phrases.DEPARTMENTS, start=1)}
    tables["care_site"] = [{"care_site_id": i, "care_site_name": n, "care_site_source_value": n} for n, i in care_sites.items()]
    people = [_patient(rng, i) for i in range(1, patients + 1)]
    counts = _note_counts(rng, patients, notes)
    manifest, truth_notes, imaging = [], {}, []
    ids = {"visit": 0, "measurement": 0, "observation": 0, "condition": 0, "drug": 0, "procedure": 0, "note": 0}
    for person, count in zip(people, counts):
        _person_rows(tables, person)
        _write_patient(rng, person, count, tables, care_sites, ids, manifest, truth_notes, imaging, target)
    tables["concept"] = _concepts()
    sources = target / "sources"
    for name, rows in tables.items():
        _write_csv(sources / "omop" / f"{name}.csv", rows, [c.name for c in TABLES[name].columns if c.required])
    _write_csv(sources / "documents" / "manifest.csv", manifest)
    for index, study in enumerate(imaging, start=1):
        write_dicom_series(sources / "imaging", index, study)
    write_articles(sources / "articles")
    truth = {
        "seed": seed,
        "conditions": {k: {"code": v[0], "label": v[1], "variants": [x[1] for x in v[2]]} for k, v in phrases.CONDITIONS.items()},
        "patients": {p["ipp"]: _patient_truth(p) for p in people},
        "notes": truth_notes,
    }
    (target / "ground_truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return {"patients": patients, "notes": len(manifest), "imaging series": len(imaging), "articles": len(phrases.ARTICLES) + 1}


def _note_counts(rng: random.Random, patients: int, notes: int) -> list[int]:
    """Notes per patient: at least one each, the rest spread unevenly (sicker patients have more)."""
    counts = [1] * patients
    for _ in range(max(notes - patients, 0)):
        counts[min(int(rng.expovariate(1.0) * patients / 3), patients - 1)] += 1
    rng.shuffle(counts)
    return counts


def _patient(rng: random.Random, number: int) -> dict:
    sex = rng.choice("MF")
    birth = dt.date(rng.randint(1930, 2000), rng.randint(1, 12), rng.randint(1, 28))
    age = (END - birth).days // 365
    band = 0 if age < 50 else 1 if age < 70 else 2
    conditions = sorted(k for k, p in phrases.PREVALENCE.items() if rng.random() < p[band])
    if "diabete_t1" in conditions and "diabete_t2" in conditions:
        conditions.remove("diabete_t1")
    smoking = rng.choices(["current", "former", "never"], [0.25, 0.25, 0.5])[0]
    city, postal = rng.choice(phrases.CITIES)
    return {
        "person_id": number,
        "ipp": f"80{number:08d}",
        "sex": sex,
        "birth_date": birth,
        "given_name": rng.choice(phrases.FIRST_NAMES[sex]),
        "family_name": rng.choice(phrases.LAST_NAMES),
        "address": f"{rng.randint(1, 120)} {rng.choice(phrases.STREETS)}",
        "city": city,
        "postal_code": postal,
        "phone": "0" + str(rng.choice([1, 6, 7])) + "".join(f" {rng.randint(0, 99):02d}" for _ in range(4)),
        "conditions": conditions,
        "coded": sorted(c for c in conditions if rng.random() < 0.85),
        "smoking": smoking,
        "smoking_text": phrases.SMOKING[smoking],
        "diagnosed": {},
        "coded_rows": set(),
    }


def _person_rows(tables: dict, p: dict) -> None:
    tables["person"].append({
        "person_id": p["person_id"], "gender_concept_id": MALE if p["sex"] == "M" else FEMALE,
        "year_of_birth": p["birth_date"].year, "month_of_birth": p["birth_date"].month, "day_of_birth": p["birth_date"].day,
        "birth_datetime": f"{p['birth_date']}T00:00:00", "race_concept_id": 0, "ethnicity_concept_id": 0,
        "person_source_value": p["ipp"], "gender_source_value": p["sex"],
    })
    tables["person_identity"].append({
        "person_id": p["person_id"], "family_name": p["family_name"], "given_name": p["given_name"],
        "birth_date": p["birth_date"], "address": p["address"], "city": p["city"], "postal_code": p["postal_code"],
        "phone": p["phone"], "identifiers": json.dumps([{"system": "IPP", "value": p["ipp"]}]),
    })


def _write_patient(rng, p, count, tables, care_sites, ids, manifest, truth_notes, imaging, target) -> None:
    days = sorted(START + dt.timedelta(days=rng.randint(0, (END - START).days)) for _ in range(count))
    days = [d if d > p["birth_date"] else p["birth_date"] + dt.timedelta(days=365 * 18) for d in days]
    for index, day in enumerate(days):
        note_type = rng.choices(list(phrases.NOTE_TYPE_WEIGHTS), list(phrases.NOTE_TYPE_WEIGHTS.values()))[0]
        note_type, true_mentions, traps, department, procedure, study = _plan(rng, p, note_type, index == 0)
        ids["visit"] += 1
        visit = ids["visit"]
        kind = phrases.NOTE_TYPES[note_type][1]
        length = rng.randint(2, 12) if kind == "inpatient" else 0
        tables["visit_occurrence"].append({
            "visit_occurrence_id": visit, "person_id": p["person_id"],
            "visit_concept_id": VISIT[kind],
            "visit_start_date": day, "visit_end_date": day + dt.timedelta(days=length),
            "visit_type_concept_id": EHR, "care_site_id": care_sites[department], "visit_source_value": kind,
        })
        values = _measurements(rng, p, day, visit, tables, ids) if note_type in ("CRH", "CONS", "URG") else {}
        if index == 0:
            ids["observation"] += 1
            tables["observation"].append({
                "observation_id": ids["observation"], "person_id": p["person_id"], "observation_concept_id": 0,
                "observation_date": day, "observation_type_concept_id": EHR, "value_as_string": p["smoking_text"],
                "observation_source_value": phrases.SMOKING_LOINC, "value_source_value": p["smoking"],
                "visit_occurrence_id": visit,
            })
        for condition, status in true_mentions:
            _diagnose(rng, p, condition, day, visit, tables, ids)
        drugs = sorted({d for c in p["diagnosed"] for d in phrases.CONDITIONS[c][4]})
        if procedure:
            ids["procedure"] += 1
            tables["procedure_occurrence"].append({
                "procedure_occurrence_id": ids["procedure"], "person_id": p["person_id"], "procedure_concept_id": 0,
                "procedure_date": day, "procedure_type_concept_id": EHR, "visit_occurrence_id": visit,
                "procedure_source_value": procedure[0], "procedure_source_concept_id": local_concept_id("CCAM", procedure[0]),
            })
        writer = compose(rng, p, note_type, department, day, true_mentions, traps, values, drugs if note_type != "CRI" else [], procedure)
        ids["note"] += 1
        source = f"{note_type.lower()}_{ids['note']:06d}"
        relative = f"{_slug(department)}/{source}.txt"
        path = target / "sources" / "documents" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(writer.text(), encoding="utf-8")
        manifest.append({
            "file": relative, "id": source, "person_source_value": p["ipp"], "date": day.isoformat(),
            "type": note_type, "title": phrases.NOTE_TYPES[note_type][0], "visit_occurrence_id": visit,
            "care_site_id": care_sites[department], "language": "fr",
        })
        truth_notes[source] = {
            "person_source_value": p["ipp"], "date": day.isoformat(), "type": note_type, "department": department,
            "mentions": [m.__dict__ for m in writer.mentions], "identifiers": writer.identifiers,
        }
        if study and rng.random() < 0.1:  # a few studies have their DICOM headers in the export
            imaging.append({"patient": p, "day": day, "study": study, "accession": f"A{ids['note']:07d}"})
    for condition in p["conditions"]:
        if condition not in p["diagnosed"] and rng.random() < 0.5:
            _code(p, condition, days[-1], ids["visit"], tables, ids)
    if rng.random() < 0.03:
        tables["death"].append({"person_id": p["person_id"], "death_date": days[-1] + dt.timedelta(days=rng.randint(1, 200)), "death_type_concept_id": EHR})


def _plan(rng, p, note_type, first):
    """Which conditions the note mentions, in which contexts; its department; procedure; imaging."""
    true = p["conditions"]
    others = [c for c in phrases.CONDITIONS if c not in true]
    procedure, study = None, None
    if note_type == "CRI":
        study = rng.choice(phrases.IMAGING)
        finding = study[3]
        mentions = [(finding, "affirmed")] if finding in true else [(finding, rng.choice(["negated", "negated", "hypothetical"]))]
        return note_type, (mentions if finding in true else []), ([] if finding in true else mentions), "Radiologie", None, study
    if note_type == "CRO":
        surgical = [c for c in true if phrases.CONDITIONS[c][5]]
        if surgical:
            condition = rng.choice(surgical)
            traps = [(rng.choice(others), "negated")] if others else []
            return note_type, [(condition, "affirmed")], traps, phrases.CONDITIONS[condition][3], phrases.CONDITIONS[condition][5], None
        note_type = "CRH"
    chosen = rng.sample(true, min(len(true), rng.randint(1, 3))) if true and (first or rng.random() < 0.8) else []
    true_mentions = [(c, "history" if c in p["diagnosed"] and rng.random() < 0.6 else "affirmed") for c in chosen]
    traps = [(c, rng.choice(["negated", "negated", "hypothetical", "family"])) for c in rng.sample(others, min(len(others), rng.randint(0, 2)))]
    if note_type == "URG":
        department = "Urgences"
    elif chosen:
        department = phrases.CONDITIONS[chosen[0]][3]
    else:
        department = rng.choice(["Médecine interne", "Cardiologie", "Pneumologie"])
    return note_type, true_mentions, traps, department, procedure, study


def _diagnose(rng, p, condition, day, visit, tables, ids) -> None:
    """The first time a true condition is written down, code it (if it is coded) and treat it."""
    if condition in p["diagnosed"]:
        return
    p["diagnosed"][condition] = day
    if condition in p["coded"]:
        _code(p, condition, day, visit, tables, ids)
    for drug in phrases.CONDITIONS[condition][4]:
        atc = phrases.DRUGS[drug][0]
        ids["drug"] += 1
        tables["drug_exposure"].append({
            "drug_exposure_id": ids["drug"], "person_id": p["person_id"], "drug_concept_id": 0,
            "drug_exposure_start_date": day, "drug_exposure_end_date": day + dt.timedelta(days=rng.choice([30, 90, 365])),
            "drug_type_concept_id": EHR, "sig": phrases.DRUGS[drug][1], "visit_occurrence_id": visit,
            "drug_source_value": atc, "drug_source_concept_id": local_concept_id("ATC", atc),
        })


def _code(p, condition, day, visit, tables, ids) -> None:
    code = phrases.CONDITIONS[condition][0]
    p["coded_rows"].add(condition)
    ids["condition"] += 1
    tables["condition_occurrence"].append({
        "condition_occurrence_id": ids["condition"], "person_id": p["person_id"], "condition_concept_id": 0,
        "condition_start_date": day, "condition_type_concept_id": EHR, "visit_occurrence_id": visit,
        "condition_source_value": code, "condition_source_concept_id": local_concept_id("CIM10", code),
    })


def _measurements(rng, p, day, visit, tables, ids) -> dict:
    has = set(p["conditions"])
    age = (day - p["birth_date"]).days / 365.25
    values = {
        "8480-6": rng.gauss(150 if "hta" in has else 118 + age * 0.3, 12),
        "heart_rate": rng.gauss(95 if "fa" in has else 75, 10),
        "spo2": min(100, rng.gauss(91 if {"bpco", "ep"} & has else 97, 2)),
        "2093-3": rng.gauss(5.4, 0.9),
        "2085-9": max(0.6, rng.gauss(1.25 if p["sex"] == "F" else 1.1, 0.3)),
        "2160-0": rng.gauss(190 if "irc" in has else 80, 25),
        "2345-7": rng.gauss(8.5 if {"diabete_t2", "diabete_t1"} & has else 5.2, 0.8),
        "39156-5": rng.gauss(31 if "diabete_t2" in has else 25, 4),
    }
    values["8462-4"] = values["8480-6"] * rng.uniform(0.55, 0.65)
    if {"diabete_t2", "diabete_t1"} & has or rng.random() < 0.2:
        values["4548-4"] = rng.gauss(8.0 if {"diabete_t2", "diabete_t1"} & has else 5.5, 0.7)
    for code, (label, unit) in phrases.LABS.items():
        if code not in values:
            continue
        ids["measurement"] += 1
        values[code] = round(values[code], 1)
        tables["measurement"].append({
            "measurement_id": ids["measurement"], "person_id": p["person_id"], "measurement_concept_id": 0,
            "measurement_date": day, "measurement_type_concept_id": EHR, "value_as_number": values[code],
            "visit_occurrence_id": visit, "measurement_source_value": code,
            "measurement_source_concept_id": local_concept_id("LOINC", code), "unit_source_value": unit,
        })
    return values


def _concepts() -> list[dict]:
    rows = []
    for code, label, *_ in phrases.CONDITIONS.values():
        rows.append(("CIM10", code, label, "Condition"))
    for name, (atc, text) in phrases.DRUGS.items():
        rows.append(("ATC", atc, name.replace("_", " ").capitalize(), "Drug"))
    for code, (label, unit) in phrases.LABS.items():
        rows.append(("LOINC", code, label, "Measurement"))
    rows.append(("LOINC", phrases.SMOKING_LOINC, "Tobacco smoking status", "Observation"))
    for condition in phrases.CONDITIONS.values():
        if condition[5]:
            rows.append(("CCAM", condition[5][0], condition[5][1], "Procedure"))
    unique = {(v, c): (v, c, n, d) for v, c, n, d in rows}
    return [
        {"concept_id": local_concept_id(v, c), "concept_name": n, "domain_id": d, "vocabulary_id": v, "concept_class_id": "Source", "concept_code": c}
        for v, c, n, d in unique.values()
    ]


def _patient_truth(p: dict) -> dict:
    return {
        "person_id": p["person_id"], "sex": p["sex"], "birth_date": p["birth_date"].isoformat(), "smoking": p["smoking"],
        "conditions": p["conditions"], "coded": sorted(p["coded_rows"]), "written": sorted(p["diagnosed"]),
        "documented": sorted(p["coded_rows"] | set(p["diagnosed"])),
    }


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return ascii_text.lower().replace(" ", "_")


def _write_csv(path: Path, rows: list[dict], empty: list[str] | None = None) -> None:
    """``rows`` as CSV; with no rows, the header ``empty`` only (a small hospital may have had no
    death: its export is a header line, as real exports are)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = list(dict.fromkeys(k for row in rows for k in row)) or empty or ["file"]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
