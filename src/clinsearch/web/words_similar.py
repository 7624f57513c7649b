"""The words of the similar pages, in French (the default) and English (merged by ``i18n.words``)."""

WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "similar_button": "Patients similaires", "similar_title": "Patients similaires à {patient}",
        "similar_help": "Les patients de l'entrepôt les plus proches de celui-ci par leurs concepts : diagnostics, traitements et actes codés, "
                        "mentions affirmées des documents. Un concept rare compte plus qu'un concept fréquent (TF-IDF, similarité cosinus).",
        "similar_profile": "Concepts de ce patient (du plus au moins distinctif)", "similar_rank": "Rang", "similar_patient": "Patient",
        "similar_similarity": "Similarité", "similar_shared": "En commun", "similar_only_query": "Seulement chez {patient}",
        "similar_only_similar": "Seulement chez l'autre", "similar_held_by": "{n} patients", "similar_limit": "Nombre de patients",
        "similar_show": "Afficher", "similar_compared": "{n} patients partagent au moins un concept avec celui-ci.",
        "similar_withheld": "{n} caractéristique(s) rare(s) masquée(s) (détenues par moins de {min} patients).",
        "similar_withheld_profile": "{n} concept(s) rare(s) de ce patient masqué(s) (détenus par moins de {min} patients).",
        "similar_no_concepts": "Ce patient n'a ni diagnostic, ni traitement, ni acte codé, ni mention affirmée : rien à comparer.",
        "similar_small_group": "Moins de {min} patients partagent un concept avec celui-ci : aucune liste n'est montrée.",
        "similar_none": "Aucun patient similaire.", "similar_researcher": "Données pseudonymisées : concepts détenus par moins de {min} patients masqués, jamais de liste de moins de {min} patients.",
        "similar_kind_condition": "diagnostic", "similar_kind_drug": "médicament", "similar_kind_procedure": "acte", "similar_kind_mention": "mention",
    },
    "en": {
        "similar_button": "Similar patients", "similar_title": "Patients similar to {patient}",
        "similar_help": "The warehouse's patients closest to this one by their concepts: coded diagnoses, drugs and procedures, affirmed "
                        "mentions in the notes. A rare concept counts more than a common one (TF-IDF, cosine similarity).",
        "similar_profile": "This patient's concepts (most distinctive first)", "similar_rank": "Rank", "similar_patient": "Patient",
        "similar_similarity": "Similarity", "similar_shared": "Shared", "similar_only_query": "Only in {patient}",
        "similar_only_similar": "Only in the other", "similar_held_by": "{n} patients", "similar_limit": "Number of patients",
        "similar_show": "Show", "similar_compared": "{n} patients share at least one concept with this one.",
        "similar_withheld": "{n} rare feature(s) withheld (held by fewer than {min} patients).",
        "similar_withheld_profile": "{n} rare concept(s) of this patient withheld (held by fewer than {min} patients).",
        "similar_no_concepts": "This patient has no coded diagnosis, drug or procedure and no affirmed mention: nothing to compare.",
        "similar_small_group": "Fewer than {min} patients share a concept with this one: no list is shown.",
        "similar_none": "No similar patient.", "similar_researcher": "Pseudonymised data: concepts held by fewer than {min} patients withheld, never a list of fewer than {min} patients.",
        "similar_kind_condition": "diagnosis", "similar_kind_drug": "drug", "similar_kind_procedure": "procedure", "similar_kind_mention": "mention",
    },
}
