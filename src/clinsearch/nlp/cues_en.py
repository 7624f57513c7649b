"""English cue lists, driving the same EDS-NLP qualifier engine as French.

Why not medSpaCy or negspacy: medSpaCy 1.3 needs spaCy < 3.8 and EDS-NLP 0.23 needs spaCy >= 3.8.7,
so they cannot be installed together; negspacy runs NegEx alone (no hypothesis, family or
history) and its results cannot be merged with EDS-NLP's qualifier attributes. EDS-NLP's
qualifiers take their cue lists as arguments, so one engine serves both languages.

The lists follow the trigger categories of NegEx and ConText (Chapman et al., J Biomed Inform
2001; Harkema et al., J Biomed Inform 2009) -- pre- and post-negation, pseudo-triggers,
termination, hypothetical, historical and experiencer triggers -- in the form medSpaCy publishes
its ConText rules (MIT licence); the phrases were written here, from those categories and common
clinical English, not copied from a GPL or NC-licensed list. ``benchmarks/nlp_quality.py``
measures them on the NegEx test kit (README, "NLP quality").
"""

from __future__ import annotations

CLAUSE_TERMINATION_EN = [
    "but", "however", "nevertheless", "yet", "though", "although", "still", "aside from", "except", "apart from",
    "secondary to", "as the cause of", "as the source of", "as the reason of", "as the etiology of", "as the origin of",
    "cause of", "causes of", "source of", "sources of", "etiology of", "origin of", "reason for", "reasons for",
    "which", "who", "that was", "presents", "presented", "presenting", "complains", "complained", "reports", "reported",
    "found to have", "was found", "revealed", "shows", "showed", "consistent with", "now", ";", ":", ".", "(", ")",
]

# --- Notes as clinicians write them (issue 19; tests/data/clinical_en, "tune" split) ----------

# Telegraphic negation: the value after the finding ("Troponin negative x2", "D-dimer neg.",
# "rales (-)", "weakness -", "Chest pain: denies", "Lymphadenopathy not appreciated").
NEGATION_TELEGRAPHIC_FOLLOWING_EN = [
    "negative", "neg", "neg.", "(-)", "( - )", "-", ": no", ": none", ": denies", ": denied", ": absent", ": negative",
    ": neg", ": never", ": nil", "denies", "not appreciated", "non-visualized", "nonvisualized", "not visualized",
    "ruled out by", "ruled out with", "ruled out on", "excluded by", "was excluded",
]
NEGATION_TELEGRAPHIC_PRECEDING_EN = ["(-)", "no longer"]
# A colon followed by one of these gives the finding's value (it ends no scope).
NEGATIVE_VALUES_EN = ["no", "none", "denies", "denied", "absent", "negative", "neg", "never", "nil", "-", "(", "0"]
# "(+)", "positive" end a scope: "HIV test negative, hepatitis C antibody positive".
# (They join the clause terminations in TERMINATION_EN, which the pipeline gives the English
# negation, hypothesis and history; family keeps the clause ones: "her partner tested positive for".)
TERMINATION_EN = CLAUSE_TERMINATION_EN + ["(+)", "(++)", "positive", "present"]
# Adjectival "non": "non-obstructive CAD", "non-small cell lung cancer", "nonischemic" describe
# a disease that is there.
NON_DESCRIPTIVE_EN = [
    "obstructive", "small cell", "st elevation", "st-elevation", "ischemic", "insulin dependent", "insulin-dependent",
    "hodgkin", "hodgkin's", "alcoholic", "proliferative", "valvular", "sustained", "displaced", "healing",
    "productive", "cardiac", "exertional", "migrainous", "perforated", "incarcerated", "calcified", "specific",
    "critical", "ruptured", "severe", "hemolytic", "metastatic", "compliant", "infectious", "traumatic", "invasive",
    "obese", "q wave", "occlusive", "stenotic", "anginal", "pitting", "tender", "radiating", "bloody",
]
NEGATION_PSEUDO_EN = [f"non {w}" for w in NON_DESCRIPTIVE_EN] + [f"non-{w}" for w in NON_DESCRIPTIVE_EN] + [
    "cannot exclude", "can not exclude", "could not exclude", "cannot be excluded", "not excluded",
]

NEGATION_EN = {
    "preceding": [
        "no", "not", "without", "denies", "denied", "denying", "deny", "absence of", "absent", "negative for",
        "no evidence of", "no evidence for", "no evidence", "no new evidence", "no other evidence", "no signs of",
        "no sign of", "no symptoms of", "no findings of", "no history of", "no complaints of", "no suggestion of",
        "free of", "rules out", "ruled out", "fails to reveal", "failed to reveal", "never had", "never developed",
        "not demonstrate", "not demonstrated", "not show", "not shown", "not reveal", "not seen", "not see", "not have",
        "not had", "not exhibit", "not appear", "not appreciated", "not complain of", "not known to have", "with no",
        "without any", "without evidence of", "without signs of", "without indication of", "resolution of",
        "resolved", "unremarkable for", "-ve for", "negative", "none", "nor", "neither", "cannot see", "did not", "does not", "do not",
        "was not", "were not", "is not", "are not", "has not", "have not", "had not", "doesn't", "didn't", "isn't", "wasn't",
    ] + NEGATION_TELEGRAPHIC_PRECEDING_EN,
    "following": [
        "is ruled out", "are ruled out", "was ruled out", "were ruled out", "has been ruled out", "have been ruled out",
        "is negative", "was negative", "were negative", "are negative", "is absent", "was absent", "are absent", "were absent",
        "not seen", "not present", "not identified", "not noted", "not found", "not detected", "free", "resolved",
        "has resolved", "have resolved", "is excluded", "was excluded", "unlikely", "declined", "denied",
    ] + NEGATION_TELEGRAPHIC_FOLLOWING_EN,
    "pseudo": [
        "no increase", "no significant change", "no change in size", "no change in the size", "no change in appearance", "no interval change", "no suspicious change",
        "not only", "not necessarily", "not certain if", "not certain whether", "not rule out", "not ruled out",
        "not been ruled out", "cannot be excluded", "cannot be ruled out", "cannot rule out", "could not be ruled out",
        "gram negative", "gram-negative", "without difficulty", "not cause", "not drain", "not extend",
        "not clear", "unable to rule out", "not all",
    ] + NEGATION_PSEUDO_EN,
    "verbs": [],
    "preceding_regex": [],  # EDS-NLP's default regexes are French
}

HYPOTHESIS_EN = {
    "preceding": [
        "possible", "possibly", "probable", "probably", "likely", "suspected", "suspect", "suspicion of", "suspicious for",
        "concern for", "concerning for", "questionable", "question of", "rule out", "r/o", "to rule out", "evaluate for",
        "evaluation for", "evaluation of", "assess for", "may be", "may have", "might be", "could be", "cannot exclude",
        "differential diagnosis", "differential includes", "suggestive of", "suggests", "presumed", "presumably",
        "vs", "versus", "if", "whether", "worrisome for", "compatible with",
        # hypothesis in other clothes (issue 19): hedges, screening, work-ups, a differential
        "could represent", "may represent", "might represent", "can represent", "ddx", "dd", "screening for",
        "screen for", "screened for", "work-up for", "workup for", "work up for", "concerned about", "concern about",
        "concerned for", "to evaluate for", "to assess for",
    ],
    "following": [
        "?", "is possible", "is suspected", "was suspected", "is likely", "is probable", "cannot be excluded",
        "cannot be ruled out", "not excluded", "to be ruled out", "is questionable", "is not excluded",
        "vs", "vs.", "versus", "suspected",
    ],
    # a suspicion later confirmed is affirmed, one ruled out negated (clinsearch.nlp.qualifiers)
    "confirmation": ["confirmed", "confirms", "confirming", "was proven", "proven", "diagnosis was made"],
    "ruled_out": ["ruled out", "was ruled out", "excluded", "was excluded"],
    "pseudo": ["no suspicious", "not likely", "unlikely to be"],
    "verbs_eds": [],
    "verbs_hyp": [],
}

FAMILY_EN = {
    "family": [
        "family history", "family hx", "fh", "fhx", "mother", "mother's", "father", "father's", "brother", "brothers",
        "sister", "sisters", "sibling", "siblings", "parent", "parents", "son", "sons", "daughter", "daughters",
        "aunt", "uncle", "grandmother", "grandfather", "grandparent", "cousin", "maternal", "paternal", "relative",
        "relatives",
        # other people than family (issue 19)
        "wife", "husband", "spouse", "partner", "boyfriend", "girlfriend", "fiance", "fiancee", "roommate", "neighbor",
        "neighbour", "neighbors", "coworker", "co-worker", "coworkers", "colleague", "friend", "friends", "classmate",
        "classmates", "another patient", "other patients", "sick contact", "sick contacts", "the child's mother",
    ],
    # a relative who reports speaks of the patient: "Mother reports fever in the child"
    "termination": CLAUSE_TERMINATION_EN + ["report", "reports", "noticed", "noted", "in the child", "in the patient"],
}

HISTORY_EN = {
    "history": [
        "history of", "hx of", "h/o", "past medical history", "pmh", "past history", "previous", "previously",
        "prior", "status post", "s/p", "in the past", "years ago", "remote",
    ],
}


def fingerprint() -> str:
    """Changes whenever a cue list changes (the pipeline cache depends on it)."""
    import hashlib

    lists = [TERMINATION_EN, NEGATION_EN, HYPOTHESIS_EN, FAMILY_EN, HISTORY_EN, NEGATIVE_VALUES_EN]
    return hashlib.sha256(repr(lists).encode("utf-8")).hexdigest()[:16]
