"""What the index holds, read from the warehouse as plain ``IndexDoc`` records.

Four kinds of documents, one per searchable thing:

* ``notes`` -- one per note: its text, the stretches the NLP found negated, hypothetical or
  about the family (``note_nlp`` rows with ``label = 'context'``), and the codes of its entities
  (CIM-10, ATC, lexicon ids) in the context of each entity;
* ``imaging`` -- one per imaging study: description, modality, body part of its series, and the
  text of its linked report (an imaging report -- ``IMAGING_REPORT_TYPES`` -- of the same
  patient on the same day, with the report's contexts);
* ``articles`` -- title, abstract, MeSH terms and keywords;
* ``records`` -- one per patient: the coded data (conditions, drugs, procedures, measurements,
  observations) as codes and labels, so that a code or a lexicon term matches a patient's coded
  condition as well as a mention in a note (patient-level search only; records are no document);
* ``patients`` -- one per patient: all of the above for that patient in one document (each
  member's text in the fields of its contexts), so that patient-level search is one query.

Each kind has a fingerprint query, so that ``index.update`` re-indexes only what changed; a
patient's fingerprint is made of those of their documents.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Iterator

from clinsearch.nlp.lexicon import LEXICON
from clinsearch.nlp.pseudonymize import pseudonymize
from clinsearch.search.analysis import code_prefixes, lexicon_code, normalise_code
from clinsearch.warehouse.duckdb import DuckDBStore

# PLAIN: the fields of the text no NLP read but that is affirmed by nature (coded data, articles,
# imaging headers), a copy of its affirmed text; see ``IndexDoc.plain``.
PLAIN = "plain"
# "unqualified": the text of a note the NLP has not judged (not run yet, killed half-way, or no
# pipeline for its language). A bare term never matches it -- a "pas de ..." there must not read
# as affirmed -- but ``any:`` does, and the next NLP run moves the note to its real contexts.
CONTEXTS = ("affirmed", "negated", "hypothetical", "family", "unqualified")
IMAGING_REPORT_TYPES = ("CRI", "imagerie", "radiolog", "imaging", "radiology")
BATCH = 2_000  # articles per read
PERSON_BATCH = 250  # patients per read (a writer holds the warehouse while it reads one)


@dataclass
class IndexDoc:
    key: str  # "note:12", "imaging:1.2.3", "article:4", "record:42"
    source: str  # notes, imaging, articles, records
    id: int  # note_id, image_occurrence_id, article_id or person_id
    person_id: int | None
    date: dt.date | None
    type: str
    department: str | None
    title: str
    language: str
    text: str
    contexts: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, context), not affirmed
    codes: dict[str, set[str]] = field(default_factory=dict)  # context -> code-field terms
    visit_id: int | None = None  # visit_occurrence_id of a note
    identity: dict | None = None  # what identifies the patient: what the pseudonymised view removes
    unread: int = 0  # the first ``unread`` characters of the text no NLP read (coded data, articles, imaging headers)
    entities: list[tuple[int, int, tuple[str, ...]]] = field(default_factory=list)  # (start, end, code-field terms) of the NLP's entities

    def segments(self) -> dict[str, str]:
        """The text split by context (what the per-context fields index)."""
        parts: dict[str, list[str]] = {c: [] for c in CONTEXTS}
        at = 0
        for start, end, context in sorted(self.contexts):
            if start < at:
                continue
            parts["affirmed"].append(self.text[at:start])
            parts[context].append(self.text[start:end])
            at = end
        parts["affirmed"].append(self.text[at:])
        return {c: "\n".join(p for p in pieces if p.strip()) for c, pieces in parts.items()}

    def plain(self) -> str:
        """The text no NLP read (also in ``affirmed``): there, no entity stands for a lexicon term,
        so the terms themselves are looked for (``expand.Matches.read``)."""
        return self.text[: self.unread]


def pseudonymised(doc: IndexDoc, shift: int) -> IndexDoc:
    """The document as a researcher searches and reads it: text and title with the patient's
    identifiers replaced and dates shifted by ``shift`` days (its date too), the stretches of each
    context moved with the text. Articles and coded records name no patient: kept as they are."""
    if doc.person_id is None or doc.source == "records":
        return doc
    text = pseudonymize(doc.text, doc.identity, shift)
    contexts = [(*_moved(text.replacements, start, end), context) for start, end, context in doc.contexts]
    return IndexDoc(doc.key, doc.source, doc.id, doc.person_id, doc.date + dt.timedelta(days=shift) if doc.date else None, doc.type, doc.department,
                    pseudonymize(doc.title, doc.identity, shift).text, doc.language, text.text, [c for c in contexts if c[0] < c[1]], doc.codes,
                    None, None, _moved(text.replacements, 0, doc.unread)[1] if doc.unread else 0,
                    [(*_moved(text.replacements, start, end), codes) for start, end, codes in doc.entities])


def _moved(replacements, start: int, end: int) -> tuple[int, int]:
    """Where ``start:end`` lies once the replacements are made; a stretch that cuts a replaced
    identifier takes the whole replacement."""
    new_start, new_end, delta = start, end, 0
    for r in replacements:
        grown = len(r.written) - (r.end - r.start)
        if r.end <= start:
            new_start += grown
        elif r.start < start:  # the stretch starts inside the identifier
            new_start = r.start + delta
        if r.end <= end:
            new_end += grown
        elif r.start < end:  # ends inside it
            new_end = r.start + delta + len(r.written)
        delta += grown
    return new_start, new_end


# Fingerprints: (key, person_id, hash of everything the document is made of).
FINGERPRINTS = {
    "notes": """
        SELECT 'note:' || n.note_id, n.person_id, md5(concat_ws('|', n.person_id, n.note_date, n.note_class_source_value, n.note_title,
               n.care_site_id, n.language_source_value, md5(n.note_text), s.nlp_system, s.processed_at, p.person_source_value,
               i.family_name, i.given_name, i.address, i.city, i.phone, i.email))
        FROM note n LEFT JOIN note_nlp_state s USING (note_id) LEFT JOIN person p USING (person_id) LEFT JOIN person_identity i USING (person_id)""",
    "imaging": """
        SELECT 'imaging:' || study, any_value(person_id), md5(string_agg(part, '|' ORDER BY part)) FROM (
            SELECT coalesce(i.image_study_uid, i.image_occurrence_id::VARCHAR) AS study, i.person_id,
                   concat_ws('|', i.image_occurrence_id, i.person_id, i.image_occurrence_date, i.modality_source_value,
                   i.anatomic_site_source_value, i.image_study_description, i.image_series_description) AS part
            FROM image_occurrence i) AS parts GROUP BY study""",
    "articles": """
        SELECT 'article:' || article_id, NULL, md5(concat_ws('|', title, abstract, mesh_terms, keywords, publication_date, publication_year, language, journal))
        FROM article""",
    "records": """
        SELECT 'record:' || person_id, person_id, md5(string_agg(DISTINCT vocabulary_id || ':' || concept_code, '|' ORDER BY vocabulary_id || ':' || concept_code))
        FROM ({codes}) AS coded GROUP BY person_id""",
}

# The coded data of patients: (person_id, vocabulary, code, label).
# The coded data of patients: (person_id, vocabulary, code, label). A row whose source code has
# no local concept keeps its source value, under the vocabulary 'source'.
CODED = """
    SELECT x.person_id, coalesce(c.vocabulary_id, 'source') AS vocabulary_id, coalesce(c.concept_code, x.condition_source_value) AS concept_code, c.concept_name
    FROM condition_occurrence x LEFT JOIN concept c ON c.concept_id = x.condition_source_concept_id WHERE coalesce(c.concept_code, x.condition_source_value) IS NOT NULL
    UNION ALL SELECT x.person_id, coalesce(c.vocabulary_id, 'source') AS vocabulary_id, coalesce(c.concept_code, x.drug_source_value) AS concept_code, c.concept_name
    FROM drug_exposure x LEFT JOIN concept c ON c.concept_id = x.drug_source_concept_id WHERE coalesce(c.concept_code, x.drug_source_value) IS NOT NULL
    UNION ALL SELECT x.person_id, coalesce(c.vocabulary_id, 'source') AS vocabulary_id, coalesce(c.concept_code, x.procedure_source_value) AS concept_code, c.concept_name
    FROM procedure_occurrence x LEFT JOIN concept c ON c.concept_id = x.procedure_source_concept_id WHERE coalesce(c.concept_code, x.procedure_source_value) IS NOT NULL
    UNION ALL SELECT x.person_id, coalesce(c.vocabulary_id, 'source') AS vocabulary_id, coalesce(c.concept_code, x.measurement_source_value) AS concept_code, c.concept_name
    FROM measurement x LEFT JOIN concept c ON c.concept_id = x.measurement_source_concept_id WHERE coalesce(c.concept_code, x.measurement_source_value) IS NOT NULL
    UNION ALL SELECT x.person_id, coalesce(c.vocabulary_id, 'source') AS vocabulary_id, coalesce(c.concept_code, x.observation_source_value) AS concept_code, c.concept_name
    FROM observation x LEFT JOIN concept c ON c.concept_id = x.observation_source_concept_id WHERE coalesce(c.concept_code, x.observation_source_value) IS NOT NULL"""


@dataclass
class PatientDoc:
    """Everything of one patient in one index document: patient-level search is then one query,
    and terms found in different notes meet (``EP AVC``)."""

    person_id: int
    members: list[IndexDoc]

    @property
    def key(self) -> str:
        return f"patient:{self.person_id}"


def fingerprints(store: DuckDBStore) -> dict[str, tuple[str, int | None]]:
    """key -> (fingerprint, person_id) of every document the warehouse holds now, patients'
    documents included (a patient's fingerprint changes with any of theirs)."""
    found: dict[str, tuple[str, int | None]] = {}
    for sql in FINGERPRINTS.values():
        for key, person_id, fingerprint in store.query(sql.replace("{codes}", CODED)):
            found[key] = (fingerprint, person_id)
    members: dict[int, list[str]] = {}
    for key, (fingerprint, person_id) in found.items():
        if person_id is not None:
            members.setdefault(person_id, []).append(key + "=" + fingerprint)
    for key, (fingerprint, person_id) in list(found.items()):
        if key.startswith("imaging:"):  # a study holds its report: any note of the patient may be it
            notes = sorted(m for m in members[person_id] if m.startswith("note:"))
            found[key] = (_md5(fingerprint + "|".join(notes)), person_id)
    for person_id, parts in members.items():
        found[f"patient:{person_id}"] = (_md5("|".join(sorted(parts))), person_id)
    return found


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def documents(store: DuckDBStore, wanted: dict[str, int | None]) -> Iterator[IndexDoc | PatientDoc]:
    """The documents whose keys are in ``wanted`` (key -> person_id), patient by patient: the
    documents of each patient are read once, for themselves and for the patient's document."""
    articles = [key.partition(":")[2] for key in wanted if key.startswith("article:")]
    for i in range(0, len(articles), BATCH):
        yield from _articles(store, articles[i: i + BATCH])
    persons = sorted({person for person in wanted.values() if person is not None})
    for i in range(0, len(persons), PERSON_BATCH):
        batch = _person_documents(store, persons[i: i + PERSON_BATCH])
        with store.paused():  # a writer lets requests in while the batch is indexed
            for person_id, docs in batch.items():
                for doc in docs:
                    if doc.key in wanted:
                        yield doc
                if f"patient:{person_id}" in wanted:
                    yield PatientDoc(person_id, docs)


def _person_documents(store: DuckDBStore, person_ids: list[int]) -> dict[int, list[IndexDoc]]:
    by_person: dict[int, list[IndexDoc]] = {p: [] for p in person_ids}
    identities = _identities(store, person_ids)
    notes = _notes(store, person_ids)
    for doc in notes:
        by_person[doc.person_id].append(doc)
    for doc in _imaging(store, person_ids, notes):
        by_person[doc.person_id].append(doc)
    for doc in _records(store, person_ids):
        by_person[doc.person_id].append(doc)
    for person_id, docs in by_person.items():
        for doc in docs:
            doc.identity = identities.get(person_id)
    return by_person


def _identities(store: DuckDBStore, person_ids: list[int]) -> dict[int, dict]:
    rows = store.query_dicts(
        "SELECT p.person_id, p.person_source_value AS ipp, i.family_name, i.given_name, i.address, i.city, i.phone, i.email "
        "FROM person p LEFT JOIN person_identity i USING (person_id) WHERE p.person_id IN (SELECT unnest(?))", [person_ids])
    return {row["person_id"]: row for row in rows}


def _notes(store: DuckDBStore, person_ids: list[int]) -> list[IndexDoc]:
    wanted = "SELECT note_id FROM note WHERE person_id IN (SELECT unnest(?))"
    rows = store.query(
        f"""SELECT n.note_id, n.person_id, n.note_date, coalesce(n.note_class_source_value, 'note'), cs.care_site_name,
                  coalesce(n.note_title, n.note_class_source_value, ''), coalesce(s.language, n.language_source_value, 'fr'), n.note_text,
                  n.visit_occurrence_id, s.status = 'processed' AND s.text_hash = md5(n.note_text) AS judged
           FROM note n LEFT JOIN note_nlp_state s USING (note_id) LEFT JOIN care_site cs USING (care_site_id)
           WHERE n.note_id IN ({wanted})""",
        [person_ids],
    )
    nlp: dict[int, list[tuple]] = {}
    for note_id, *row in store.query(
            "SELECT note_id, start_char, end_char, label, normalized_term, code, code_vocabulary, term_exists, coalesce(term_modifiers, '') "
            f"FROM note_nlp WHERE note_id IN ({wanted})", [person_ids]):
        nlp.setdefault(note_id, []).append(tuple(row))
    docs = []
    for note_id, person_id, date, kind, department, title, language, text, visit_id, judged in rows:
        doc = IndexDoc(f"note:{note_id}", "notes", note_id, person_id, date, kind, department, title, _language(language), text or "", visit_id=visit_id)
        if judged:
            _add_nlp(doc, nlp.get(note_id, []))
        elif doc.text:
            doc.contexts.append((0, len(doc.text), "unqualified"))
        docs.append(doc)
    return docs


def _add_nlp(doc: IndexDoc, rows: list[tuple], offset: int = 0) -> None:
    for start, end, label, normalized, code, vocabulary, exists, modifiers in rows:
        if label == "context":
            doc.contexts.append((start + offset, end + offset, normalized))
            continue
        context = "family" if "family" in modifiers else "negated" if exists == "N" else "hypothetical" if "hypothesis" in modifiers else "affirmed"
        codes: set[str] = set()
        if label == "lexicon" and normalized in LEXICON:
            codes.add(lexicon_code(normalized))
            codes.update(_lexicon_codes(normalized))
        if vocabulary in ("CIM10", "ATC") and code:
            codes.update(code_prefixes(code))
            codes.update(lexicon_code(i) for i in _concepts_of_code(code))
        if codes:
            doc.codes.setdefault(context, set()).update(codes)
            doc.entities.append((start + offset, end + offset, tuple(sorted(codes))))


def _lexicon_codes(concept_id: str) -> set[str]:
    entry = LEXICON[concept_id]
    return {p for c in (*entry.cim10, *entry.atc) for p in code_prefixes(c)}


def _concepts_of_code(code: str) -> list[str]:
    """Lexicon concepts whose CIM-10 / ATC code is ``code`` or one of its ancestors."""
    code = normalise_code(code)
    return [e.id for e in LEXICON.values() if any(code.startswith(normalise_code(c)) for c in (*e.cim10, *e.atc))]


def _imaging(store: DuckDBStore, person_ids: list[int], notes: list[IndexDoc]) -> list[IndexDoc]:
    rows = store.query(
        """SELECT coalesce(image_study_uid, image_occurrence_id::VARCHAR) AS study, min(image_occurrence_id), any_value(person_id),
                  min(image_occurrence_date), string_agg(DISTINCT modality_source_value, ', '), string_agg(DISTINCT anatomic_site_source_value, ', '),
                  any_value(image_study_description), string_agg(DISTINCT image_series_description, ' ; ')
           FROM image_occurrence WHERE person_id IN (SELECT unnest(?)) GROUP BY study""",
        [person_ids],
    )
    reports: dict[tuple, list[IndexDoc]] = {}
    for note in notes:
        if any(t.lower() in note.type.lower() for t in IMAGING_REPORT_TYPES):
            reports.setdefault((note.person_id, note.date), []).append(note)
    docs = []
    for study, first_id, person_id, date, modality, body_part, description, series in rows:
        header = " — ".join(p for p in (description, series, modality, body_part) if p)
        doc = IndexDoc(f"imaging:{study}", "imaging", first_id, person_id, date, modality or "imaging", None, description or modality or "imaging", "fr", header,
                       unread=len(header))
        for report in sorted(reports.get((person_id, date), []), key=lambda d: d.id):
            offset = len(doc.text) + 2
            doc.text += "\n\n" + report.text
            doc.contexts.extend((s + offset, e + offset, c) for s, e, c in report.contexts)
            doc.entities.extend((s + offset, e + offset, c) for s, e, c in report.entities)
            for context, codes in report.codes.items():
                doc.codes.setdefault(context, set()).update(codes)
            doc.department = doc.department or report.department
        docs.append(doc)
    return docs


def _articles(store: DuckDBStore, ids: list[str]) -> list[IndexDoc]:
    rows = store.query(
        """SELECT article_id, title, abstract, mesh_terms, keywords, publication_date, publication_year, language, journal
           FROM article WHERE article_id IN (SELECT unnest(?))""",
        [[int(i) for i in ids]],
    )
    docs = []
    for article_id, title, abstract, mesh, keywords, date, year, language, journal in rows:
        text = "\n\n".join(p for p in (title, abstract, f"MeSH: {mesh}" if mesh else "", f"Keywords: {keywords}" if keywords else "") if p)
        date = date or (dt.date(year, 1, 1) if year else None)
        docs.append(IndexDoc(f"article:{article_id}", "articles", article_id, None, date, "article", journal, title or "", _language(language or "en"), text,
                             unread=len(text)))
    return docs


def _records(store: DuckDBStore, person_ids: list[int]) -> list[IndexDoc]:
    rows = store.query(
        f"SELECT DISTINCT person_id, vocabulary_id, concept_code, concept_name FROM ({CODED}) WHERE person_id IN (SELECT unnest(?)) ORDER BY 1, 2, 3, 4",
        [person_ids],
    )
    docs: dict[int, IndexDoc] = {}
    for person_id, vocabulary, code, label in rows:
        doc = docs.get(person_id)
        if doc is None:
            doc = docs[person_id] = IndexDoc(f"record:{person_id}", "records", person_id, person_id, None, "record", None, "coded data", "fr", "")
        doc.text += f"{label or code} ({vocabulary} {code})\n"
        doc.unread = len(doc.text)
        codes = doc.codes.setdefault("affirmed", set())
        codes.update(code_prefixes(code))
        if vocabulary != "LOINC":
            codes.update(lexicon_code(i) for i in _concepts_of_code(code))
    return list(docs.values())


def _language(value: str) -> str:
    value = (value or "").lower()
    return "en" if value.startswith("en") else "fr" if value.startswith("fr") else "en" if value else "fr"
