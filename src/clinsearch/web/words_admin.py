"""The words of the admin pages, in French (the default) and English (merged by ``i18n.words``)."""

WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "role": "Rôle", "action": "Action", "role_clinician": "clinicien·ne", "role_researcher": "chercheur·se", "role_admin": "administrateur·rice",
        "audit_patient_help": "Le pseudonyme affiché dans ce journal (P-…)", "audit_any_action": "toutes",
        "audit_since": "Du", "audit_until": "Au", "audit_filter": "Filtrer", "audit_clear": "Effacer les filtres",
        "audit_csv": "Exporter en CSV", "audit_total": "{n} entrée(s)", "audit_page": "page {page} sur {pages}",
        "audit_live": "Comptages en direct", "audit_live_more": "+ {n} comptage(s) de la même saisie",
    },
    "en": {
        "role": "Role", "action": "Action", "role_clinician": "clinician", "role_researcher": "researcher", "role_admin": "administrator",
        "audit_patient_help": "The pseudonym shown in this log (P-…)", "audit_any_action": "any",
        "audit_since": "From", "audit_until": "To", "audit_filter": "Filter", "audit_clear": "Clear the filters",
        "audit_csv": "Export as CSV", "audit_total": "{n} entry(ies)", "audit_page": "page {page} of {pages}",
        "audit_live": "Live counts", "audit_live_more": "+ {n} count(s) of the same editing",
    },
}
