"""The web application's words, in French (the default) and English: data, not code."""

from __future__ import annotations

from functools import cache

from clinsearch.web import words_admin, words_criteria, words_learning, words_model, words_patient, words_search, words_similar

WORDS = {
    "fr": {
        "search": "Recherche", "search_button": "Rechercher", "documents": "Documents", "patients": "Patients", "login": "Connexion",
        "logout": "Déconnexion", "username": "Identifiant", "password": "Mot de passe", "purpose": "Finalité de l'accès",
        "purpose_help": "Écrite dans le journal d'audit avec chaque accès (soins, recherche, qualité...).",
        "logged_in_as": "Connecté·e : {user} ({role})", "results": "{total} document(s)", "patients_found": "{total} patient(s)",
        "no_result": "Aucun résultat.", "previous": "Précédents", "next": "Suivants", "help": "Aide à la recherche",
        "affirmed": "affirmé", "negated": "nié", "hypothetical": "hypothèse", "family": "familial", "unqualified": "non analysé (TAL en attente)",
        "type": "Type", "year": "Année", "department": "Service", "source": "Source", "patient": "Patient", "note": "Document",
        "visits": "Venues", "notes": "Documents", "conditions": "Diagnostics codés", "measurements": "Mesures", "drugs": "Médicaments",
        "procedures": "Actes", "imaging": "Imagerie", "date": "Date", "code": "Code", "label": "Libellé", "value": "Valeur",
        "entities": "entités", "open": "ouvrir", "legend": "Légende", "expansions": "Termes recherchés aussi",
        "did_you_mean": "Vouliez-vous dire :", "corrected": "« {word} » cherché comme « {correction} »", "corrected_too": "« {word} » cherché tel quel et comme « {correction} »",
        "query_label": "Requête en langage médical", "level": "Niveau", "error": "Erreur", "forbidden": "Accès refusé",
        "help_text": 'Un mot seul trouve les mentions affirmées (pas « pas de ... », ni les hypothèses, ni les antécédents familiaux). '
                     'Synonymes, abréviations et codes sont inclus (EP = embolie pulmonaire = I26). '
                     '"phrase exacte", -exclure, a OR b, ( ), neg: hyp: fam: any:, =sans-synonymes, type:CRH, department:cardio, '
                     'after:2020-01, before:2024, code:E11, patient:ID, source:notes|imaging|articles.',
        "language": "English", "born": "né·e", "sex": "Sexe", "audit": "Journal d'audit", "users": "Utilisateurs", "entries": "Derniers accès",
        "target": "Objet", "audit_ok": "Chaîne intacte : {n} entrées vérifiées.", "audit_broken": "Journal altéré",
        "cohorts": "Cohortes", "new_cohort": "nouvelle cohorte", "cohort_name": "Nom de la cohorte", "attrition": "Attrition",
        "step": "Étape", "criterion": "Critère", "remaining": "Restants", "removed": "Exclus", "remove": "retirer",
        "add_criterion": "Ajouter un critère", "section": "Rôle", "index_event": "Événement index (date de référence)",
        "inclusion": "Inclusion", "exclusion": "Exclusion", "criterion_type": "Type de critère", "codes": "Codes (CIM-10, ATC, CCAM ; I21* = I21 et descendants)",
        "query": "Requête texte (langage de recherche, négation comprise)", "loinc": "Code LOINC", "min": "Minimum", "max": "Maximum", "unit": "Unité",
        "visit_kind": "Type de venue", "modality": "Modalité (CT, MR...)", "body_part": "Région (CHEST...)", "description": "Description de l'examen",
        "age_min": "Âge minimum", "age_max": "Âge maximum", "window_from": "Fenêtre : du jour (rel. index)", "window_to": "au jour (rel. index)",
        "at_least": "Au moins (occurrences)", "criterion_label": "Libellé (facultatif)", "live_count": "Avec ce critère",
        "add": "Ajouter", "run": "Lancer : Table 1 et patients", "save": "Enregistrer", "export": "Exporter",
        "saved_cohorts": "Cohortes enregistrées", "saved_done": "Cohorte enregistrée.", "definition_json": "Définition (JSON, modifiable)",
        "table_one": "Table 1", "author": "Auteur", "index_date": "Date index", "none": "—",
        "why": "Pourquoi", "why_not": "sans",
        "bounds": "Bornes", "bounds_inclusive": "incluses (≥, ≤)", "bounds_strict": "exclues (>, <)", "value_of": "Valeur comparée",
        "value_of_latest": "la dernière avant la date index", "value_of_first": "la première", "value_of_min": "la plus basse", "value_of_max": "la plus haute",
        "value_of_any": "n'importe laquelle", "outcome_criteria": "Critères de l'événement (tous requis)", "add_outcome_criterion": "Ajouter un critère à l'événement",
        "outcome_name": "Nom de l'événement",
        "levels_explained": "Niveau patient : chaque terme est cherché dans tout le dossier (un terme dans une note, un autre dans une autre) et un terme exclu ne doit figurer dans aucun document ni donnée codée. Niveau document : la requête entière dans chaque document, l'exclusion note par note. Les deux listes peuvent donc différer.",
        "index_at_death": "{n} patient(s) décédé(s) indexé(s) à leur date de décès", "indexed_at_death": "date de décès", "indexed_at_last_record": "dernier enregistrement",
        "demographics": "Démographie", "condition": "Diagnostic codé", "measurement": "Mesure", "drug": "Médicament", "procedure": "Acte",
        "visit": "Venue", "text": "Texte des documents", "cohort_size": "{n} patient(s) dans la cohorte",
        "scores": "Scores d'aide à la décision", "category": "Catégorie", "trail": "Traçabilité", "not_computed": "non calculé (manque)",
        "inputs": "données", "input": "Donnée", "stale": "ancienne(s)",
        "status_missing": "non calculé : donnée manquante", "status_not_applicable": "non applicable",
        "status_out_of_domain": "hors du domaine validé du modèle", "status_stale": "calculé sur des données anciennes",
        "evaluate": "Évaluer un algorithme", "evaluation_report": "Rapport d'évaluation", "evaluate_button": "Évaluer",
        "evaluate_help": "Confronter les prédictions d'un score ou d'un modèle aux événements observés chez vos patients : discrimination, calibration, bénéfice net, sous-groupes.",
        "evaluate_file": "Depuis un fichier (CSV ou Parquet, une ligne par patient)", "file": "Fichier", "outcome_column": "Colonne de l'événement (0/1)",
        "score_columns": "Colonne(s) du score (une ou deux, séparées par des virgules)", "group_columns": "Colonnes de sous-groupes (facultatif)",
        "thresholds": "Seuils de risque", "rescale": "Score hors de [0, 1]", "evaluate_cohort": "Depuis une cohorte de l'entrepôt",
        "score": "Score", "outcome_definition": "Événement (critères, fenêtres en jours depuis la date index)", "no_saved_cohort": "Enregistrez d'abord une cohorte :",
        "rescale_percent": "pourcentage (÷ 100)", "rescale_logistic": "régression logistique", "evaluating": "Évaluation en cours…",
        "step_reading": "lecture des données", "step_scoring": "calcul du score", "step_metrics": "mesures", "step_report": "rapport",
        "visit_inpatient": "hospitalisation", "visit_outpatient": "consultation", "visit_emergency": "urgences",
        "where_population": "population", "where_index": "index", "where_inclusion": "inclusion", "where_exclusion": "exclusion",
    },
    "en": {
        "search": "Search", "search_button": "Search", "documents": "Documents", "patients": "Patients", "login": "Log in",
        "logout": "Log out", "username": "User name", "password": "Password", "purpose": "Purpose of access",
        "purpose_help": "Written to the audit log with every access (care, research, quality...).",
        "logged_in_as": "Logged in: {user} ({role})", "results": "{total} document(s)", "patients_found": "{total} patient(s)",
        "no_result": "No result.", "previous": "Previous", "next": "Next", "help": "Search help",
        "affirmed": "affirmed", "negated": "negated", "hypothetical": "hypothesis", "family": "family", "unqualified": "not analysed (NLP pending)",
        "type": "Type", "year": "Year", "department": "Department", "source": "Source", "patient": "Patient", "note": "Document",
        "visits": "Visits", "notes": "Documents", "conditions": "Coded conditions", "measurements": "Measurements", "drugs": "Drugs",
        "procedures": "Procedures", "imaging": "Imaging", "date": "Date", "code": "Code", "label": "Label", "value": "Value",
        "entities": "entities", "open": "open", "legend": "Legend", "expansions": "Also searched",
        "did_you_mean": "Did you mean:", "corrected": "“{word}” searched as “{correction}”", "corrected_too": "“{word}” searched as typed and as “{correction}”",
        "query_label": "Query in medical language", "level": "Level", "error": "Error", "forbidden": "Access denied",
        "help_text": 'A bare word finds affirmed mentions (not "no ...", hypotheses or family history). '
                     'Synonyms, abbreviations and codes are included (PE = pulmonary embolism = I26). '
                     '"exact phrase", -exclude, a OR b, ( ), neg: hyp: fam: any:, =no-synonyms, type:CRH, department:cardio, '
                     'after:2020-01, before:2024, code:E11, patient:ID, source:notes|imaging|articles.',
        "language": "Français", "born": "born", "sex": "Sex", "audit": "Audit log", "users": "Users", "entries": "Latest accesses",
        "target": "Target", "audit_ok": "Chain intact: {n} entries verified.", "audit_broken": "Log altered",
        "cohorts": "Cohorts", "new_cohort": "new cohort", "cohort_name": "Cohort name", "attrition": "Attrition",
        "step": "Step", "criterion": "Criterion", "remaining": "Remaining", "removed": "Removed", "remove": "remove",
        "add_criterion": "Add a criterion", "section": "Role", "index_event": "Index event (reference date)",
        "inclusion": "Inclusion", "exclusion": "Exclusion", "criterion_type": "Criterion type", "codes": "Codes (CIM-10, ATC, CCAM; I21* = I21 and below)",
        "query": "Text query (search language, negation-aware)", "loinc": "LOINC code", "min": "Minimum", "max": "Maximum", "unit": "Unit",
        "visit_kind": "Visit kind", "modality": "Modality (CT, MR...)", "body_part": "Body part (CHEST...)", "description": "Study description",
        "age_min": "Minimum age", "age_max": "Maximum age", "window_from": "Window: from day (rel. index)", "window_to": "to day (rel. index)",
        "at_least": "At least (occurrences)", "criterion_label": "Label (optional)", "live_count": "With this criterion",
        "add": "Add", "run": "Run: Table 1 and patients", "save": "Save", "export": "Export",
        "saved_cohorts": "Saved cohorts", "saved_done": "Cohort saved.", "definition_json": "Definition (JSON, editable)",
        "table_one": "Table 1", "author": "Author", "index_date": "Index date", "none": "—",
        "why": "Why", "why_not": "not",
        "bounds": "Bounds", "bounds_inclusive": "included (≥, ≤)", "bounds_strict": "excluded (>, <)", "value_of": "Value compared",
        "value_of_latest": "the latest before the index date", "value_of_first": "the first", "value_of_min": "the lowest", "value_of_max": "the highest",
        "value_of_any": "any", "outcome_criteria": "Outcome criteria (all required)", "add_outcome_criterion": "Add a criterion to the outcome",
        "outcome_name": "Outcome name",
        "levels_explained": "Patient level: each term is looked for across the whole record (one term in one note, another in another) and an excluded term must be in none of the patient's documents nor coded data. Document level: the whole query within each document, excluding note by note. The two lists may differ.",
        "index_at_death": "{n} deceased patient(s) indexed at their date of death", "indexed_at_death": "date of death", "indexed_at_last_record": "last record",
        "demographics": "Demographics", "condition": "Coded condition", "measurement": "Measurement", "drug": "Drug", "procedure": "Procedure",
        "visit": "Visit", "text": "Document text", "cohort_size": "{n} patient(s) in the cohort",
        "scores": "Decision-support scores", "category": "Category", "trail": "Trail", "not_computed": "not computed (missing)",
        "inputs": "inputs", "input": "Input", "stale": "stale",
        "status_missing": "not computed: input missing", "status_not_applicable": "not applicable",
        "status_out_of_domain": "outside the model's validated domain", "status_stale": "computed on stale inputs",
        "evaluate": "Evaluate an algorithm", "evaluation_report": "Evaluation report", "evaluate_button": "Evaluate",
        "evaluate_help": "Confront a score's or a model's predictions with the outcomes observed in your patients: discrimination, calibration, net benefit, subgroups.",
        "evaluate_file": "From a file (CSV or Parquet, one row per patient)", "file": "File", "outcome_column": "Outcome column (0/1)",
        "score_columns": "Score column(s) (one or two, comma-separated)", "group_columns": "Subgroup columns (optional)",
        "thresholds": "Risk thresholds", "rescale": "Score outside [0, 1]", "evaluate_cohort": "From a cohort of the warehouse",
        "score": "Score", "outcome_definition": "Outcome (criteria, windows in days from the index date)", "no_saved_cohort": "Save a cohort first:",
        "rescale_percent": "percent (÷ 100)", "rescale_logistic": "logistic regression", "evaluating": "Evaluating…",
        "step_reading": "reading the data", "step_scoring": "computing the score", "step_metrics": "metrics", "step_report": "report",
        "visit_inpatient": "inpatient", "visit_outpatient": "outpatient", "visit_emergency": "emergency",
        "where_population": "population", "where_index": "index", "where_inclusion": "inclusion", "where_exclusion": "exclusion",
    },
}
LANGUAGES = tuple(WORDS)


@cache
def words(lang: str) -> dict[str, str]:
    """Every word of the pages in ``lang`` (French when unknown); each area's pages keep theirs
    in a module of their own (``words_<area>.py``)."""
    lang = lang if lang in WORDS else "fr"
    merged = dict(WORDS[lang])
    for area in (words_search, words_patient, words_admin, words_model, words_similar, words_criteria, words_learning):
        merged.update(area.WORDS[lang])
    return merged
