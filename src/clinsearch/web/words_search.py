"""The words of the search pages, in French (the default) and English (merged by ``i18n.words``),
and the example queries of the empty search page (each gives results on the demo hospital:
tests/api/test_search_page.py clicks them)."""

WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "sort_by": "Trier par", "sort_relevance": "pertinence", "sort_date": "date (récents d'abord)",
        "active_filters": "Filtres actifs", "remove_filter": "retirer le filtre {filter}", "filter_by": "filtrer : {filter}",
        "docs_in_patients": "{documents} document(s) chez {patients} patient(s)",
        "patients_whole_record": "{total} patient(s) satisfont la requête sur l'ensemble de leur dossier",
        "no_patient": "Aucun patient.", "age": "Âge", "row_age": "{age} ans", "snippet": "Extrait",
        "sex_F": "femme", "sex_M": "homme",
        "examples": "Exemples de requêtes", "examples_help": "Cliquez pour lancer la recherche ; la requête s'affiche dans le champ, modifiable.",
        "query_terms": "Termes de la requête surlignés", "back_to_results": "← retour aux résultats",
        "no_marks": "Aucun terme de la requête dans le texte de ce document (il peut correspondre par ses codes ou son titre).",
        "marks_unavailable": "Surlignage indisponible : ce document a changé depuis son indexation.",
        "cited_passage": "Passage cité", "cite_invalid": "Le passage cité ne figure pas dans ce texte.", "withheld": "Non affiché (petits effectifs)",
        # a context's badge, keys of their own (another area's "negated" is a heading)
        "ctx_affirmed": "affirmé", "ctx_negated": "nié", "ctx_hypothetical": "hypothèse", "ctx_family": "familial", "ctx_unqualified": "non analysé (TAL en attente)",
    },
    "en": {
        "sort_by": "Sort by", "sort_relevance": "relevance", "sort_date": "date (newest first)",
        "active_filters": "Active filters", "remove_filter": "remove the filter {filter}", "filter_by": "filter: {filter}",
        "docs_in_patients": "{documents} document(s) of {patients} patient(s)",
        "patients_whole_record": "{total} patient(s) match the query across their whole record",
        "no_patient": "No patient.", "age": "Age", "row_age": "{age} y", "snippet": "Snippet",
        "sex_F": "female", "sex_M": "male",
        "examples": "Example queries", "examples_help": "Click to search; the query appears in the box, to edit.",
        "query_terms": "Query terms highlighted", "back_to_results": "← back to the results",
        "no_marks": "No term of the query in this document's text (it may match by its codes or its title).",
        "marks_unavailable": "Highlighting unavailable: this document changed since it was indexed.",
        "cited_passage": "Cited passage", "cite_invalid": "The cited passage is not in this text.", "withheld": "Not shown (small counts)",
        "ctx_affirmed": "affirmed", "ctx_negated": "negated", "ctx_hypothetical": "hypothesis", "ctx_family": "family", "ctx_unqualified": "not analysed (NLP pending)",
    },
}

_QUERIES = ("embolie pulmonaire", "neg:EP", "HTA", "EP type:CRH", "EP -neg:TVP", "AVC after:2022", "code:E11", "fam:infarctus")
_SAYS = {
    "fr": ("un mot : ses mentions affirmées seulement, pas « pas d'embolie pulmonaire »", "neg: les mentions niées (« pas d'EP »)",
           "une abréviation : hypertension artérielle, ses synonymes et ses codes", "type: un type de document (compte rendu d'hospitalisation)",
           "-exclure : une EP sans TVP niée dans le même document", "after: à partir de cette date", "code: un code CIM-10 et ses descendants (diabète de type 2)",
           "fam: les antécédents familiaux"),
    "en": ("a word: its affirmed mentions only, not \"no pulmonary embolism\"", "neg: negated mentions (\"no PE\")",
           "an abbreviation: arterial hypertension, its synonyms and codes", "type: one document type (discharge summary)",
           "-exclude: a PE with no negated DVT in the same document", "after: from that date on", "code: an ICD-10 code and below (type 2 diabetes)",
           "fam: family history"),
}
EXAMPLES: dict[str, list[dict[str, str]]] = {lang: [{"query": q, "says": s} for q, s in zip(_QUERIES, says)] for lang, says in _SAYS.items()}
