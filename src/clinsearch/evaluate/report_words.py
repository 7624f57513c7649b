"""The evaluation report's words, in English (the command line's default) and French (the web
pages' default): the headings, the figures' axes, the readings (format strings filled by
``report.readings``) and the TRIPOD+AI checklist. Data, not code."""

from __future__ import annotations

EN = {
    "title": "Evaluation of {scores}", "heading": "Evaluation of {scores} against “{outcome}”", "and": " and ", "made": "made {made} by clinsearch {version}",
    "sample": "The sample", "rows_read": "rows read", "patients_evaluated": "patients evaluated", "events_row": "events (outcome = 1)",
    "left_out": "left out: {column} missing",
    "discrimination": "Discrimination: does the score rank patients who had the outcome higher?", "score": "score",
    "auroc_ci": "AUROC (95 % CI, DeLong)", "calibration": "Calibration: are the predicted risks right?",
    "observed_expected": "observed / expected events", "citl": "calibration-in-the-large", "slope": "slope",
    "utility": "Clinical utility: is acting on the score better than treating all or none?",
    "net_benefit_note": "Net benefit (Vickers & Elkin 2006) counts true positives minus false positives weighted by the odds of the threshold probability: the harm of an unnecessary treatment that a clinician accepts at that threshold.",
    "at_thresholds": "At chosen thresholds (flagged: score ≥ threshold)", "flagged": "flagged", "sensitivity": "sensitivity", "specificity": "specificity",
    "ppv": "PPV", "npv": "NPV", "comparison": "Comparison",
    "comparison_text": "{a} − {b}: AUROC difference {d} (95 % CI {low} to {high}), z = {z}, p = {p} ({method}).",
    "subgroups": "Subgroups: for whom does it work less well?", "patients": "patients", "events": "events",
    "gaps": "{name}, gaps between {column} groups (fairlearn MetricFrame):", "ratio": "ratio",
    "covers": "What this evaluation covers (after TRIPOD+AI)", "item": "item", "covered": "covered", "how": "how / what to do", "yes": "yes", "no": "no",
    "references": "References: DeLong et al., Biometrics 1988; Van Calster et al., J Clin Epidemiol 2016; Vickers & Elkin, Med Decis Making 2006; Collins et al. (TRIPOD+AI), BMJ 2024. Computed with scikit-learn, statsmodels, scipy, fairlearn and matplotlib.",
    "alt_roc": "ROC curves", "alt_calibration": "calibration plot", "alt_decision": "decision curve", "alt_groups": "AUROC by subgroup",
    # figures
    "chance": "chance", "fpr": "1 − specificity (false-positive rate)", "tpr": "sensitivity (true-positive rate)", "roc_title": "ROC curve",
    "tenths": "{name}: tenths of predicted risk (95 % CI)", "perfect": "perfect calibration", "predicted_risk": "predicted risk",
    "observed_share": "observed share of events", "calibration_title": "Calibration", "treat_all": "treat all", "treat_none": "treat none",
    "threshold_probability": "threshold probability", "net_benefit": "net benefit", "decision_title": "Decision curve", "ev": "ev.",
    "auroc_ci_axis": "AUROC (95 % CI)", "groups_title": "Discrimination by subgroup",
    # readings
    "strengths": ("poor", "modest", "acceptable", "good", "excellent"),
    "roc_reading": "{name}: AUROC {auroc} (95 % CI {low}-{high}), {strength} discrimination: a patient who had the outcome has a {chance} % chance "
                   "of a higher score than one who did not. AUPRC {auprc} (a useless score would get about {share}, the share of events).",
    "over": "over-estimates", "under": "under-estimates", "matches": "roughly matches",
    "spread_none": "not measurable (one predicted value)", "spread_extreme": "too extreme (slope below 1: high risks too high, low risks too low)",
    "spread_moderate": "too moderate (slope above 1)", "spread_right": "about right (slope near 1)",
    "calibration_reading": "{name}: {observed} events observed for {expected} expected (O/E {oe}): the score {direction} the risk of these patients; "
                           "calibration-in-the-large {intercept} (0 is ideal), slope {slope}: its spread is {spread}. Brier score {brier} (lower is better). "
                           "Points above the diagonal are groups with more events than predicted.",
    "useful": "{name}: using the score is better than treating everyone or no one for threshold probabilities from {low} to {high} (where its curve is above both).",
    "useless": "{name}: at no threshold probability does using the score do better than treating everyone or no one.",
    "not_chance": "a difference unlikely to be chance", "maybe_chance": "a difference these data cannot tell from chance",
    "difference_reading": "{a} − {b}: AUROC difference {d} (95 % CI {low} to {high}, DeLong p = {p}): {verdict}.",
    "groups_reading": "{name} by {column}: AUROC differs by {gap} between the best and worst group; Brier by {brier}; the share flagged at the first threshold by {flagged}.",
    "checklist": (
        ("Outcome definition and how it was measured", "column {outcome!r} (binary); how it was ascertained is not known to this tool: state it"),
        ("Sample size and number of events", "{n} patients, {events} events"),
        ("Missing data: how much and how handled", "{missing} row(s) left out (complete-case analysis, no imputation)"),
        ("Discrimination with uncertainty", "AUROC with DeLong 95 % CI, AUPRC"),
        ("Calibration (plot, intercept, slope)", "binned and LOWESS calibration plot, calibration-in-the-large, slope, O/E, Brier|not assessed: scores are not probabilities"),
        ("Clinical utility", "decision curve (net benefit vs treat-all and treat-none)|not assessed"),
        ("Performance in subgroups / fairness", "{groups}|no subgroup column given"),
        ("Comparison with another model", "paired DeLong test|a single score"),
        ("Setting, eligibility and dates of the evaluation data", "describe the cohort (clinsearch cohort gives its attrition and Table 1)"),
        ("Time horizon of the prediction vs follow-up", "check the outcome was observed over the horizon the score predicts (SCORE2: 10 years)"),
        ("Censoring / competing risks", "not handled: a binary outcome assumes complete follow-up"),
        ("Internal validation / optimism correction", "this is an external evaluation of a fixed score; a model fitted on these data would need it"),
    ),
}

FR = {
    "title": "Évaluation de {scores}", "heading": "Évaluation de {scores} face à « {outcome} »", "and": " et ", "made": "produit le {made} par clinsearch {version}",
    "sample": "L'échantillon", "rows_read": "lignes lues", "patients_evaluated": "patients évalués", "events_row": "événements (issue = 1)",
    "left_out": "écartées : {column} manquant",
    "discrimination": "Discrimination : le score classe-t-il plus haut les patients qui ont eu l'événement ?", "score": "score",
    "auroc_ci": "AUROC (IC 95 %, DeLong)", "calibration": "Calibration : les risques prédits sont-ils justes ?",
    "observed_expected": "événements observés / attendus", "citl": "calibration globale (intercept)", "slope": "pente",
    "utility": "Utilité clinique : agir selon le score vaut-il mieux que traiter tout le monde ou personne ?",
    "net_benefit_note": "Le bénéfice net (Vickers et Elkin 2006) compte les vrais positifs moins les faux positifs pondérés par la cote du seuil de probabilité : le tort d'un traitement inutile qu'un clinicien accepte à ce seuil.",
    "at_thresholds": "Aux seuils choisis (signalé : score ≥ seuil)", "flagged": "signalés", "sensitivity": "sensibilité", "specificity": "spécificité",
    "ppv": "VPP", "npv": "VPN", "comparison": "Comparaison",
    "comparison_text": "{a} − {b} : différence d'AUROC {d} (IC 95 % {low} à {high}), z = {z}, p = {p} ({method}).",
    "subgroups": "Sous-groupes : pour qui fonctionne-t-il moins bien ?", "patients": "patients", "events": "événements",
    "gaps": "{name}, écarts entre les groupes de {column} (fairlearn MetricFrame) :", "ratio": "rapport",
    "covers": "Ce que couvre cette évaluation (d'après TRIPOD+AI)", "item": "élément", "covered": "couvert", "how": "comment / que faire", "yes": "oui", "no": "non",
    "references": "Références : DeLong et al., Biometrics 1988 ; Van Calster et al., J Clin Epidemiol 2016 ; Vickers et Elkin, Med Decis Making 2006 ; Collins et al. (TRIPOD+AI), BMJ 2024. Calculé avec scikit-learn, statsmodels, scipy, fairlearn et matplotlib.",
    "alt_roc": "courbes ROC", "alt_calibration": "courbe de calibration", "alt_decision": "courbe de décision", "alt_groups": "AUROC par sous-groupe",
    "chance": "hasard", "fpr": "1 − spécificité (taux de faux positifs)", "tpr": "sensibilité (taux de vrais positifs)", "roc_title": "Courbe ROC",
    "tenths": "{name} : dixièmes de risque prédit (IC 95 %)", "perfect": "calibration parfaite", "predicted_risk": "risque prédit",
    "observed_share": "part observée d'événements", "calibration_title": "Calibration", "treat_all": "traiter tous", "treat_none": "ne traiter personne",
    "threshold_probability": "seuil de probabilité", "net_benefit": "bénéfice net", "decision_title": "Courbe de décision", "ev": "év.",
    "auroc_ci_axis": "AUROC (IC 95 %)", "groups_title": "Discrimination par sous-groupe",
    "strengths": ("médiocre", "modeste", "acceptable", "bonne", "excellente"),
    "roc_reading": "{name} : AUROC {auroc} (IC 95 % {low}-{high}), discrimination {strength} : un patient qui a eu l'événement a {chance} % de chances "
                   "d'avoir un score plus élevé qu'un patient qui ne l'a pas eu. AUPRC {auprc} (un score inutile obtiendrait environ {share}, la part d'événements).",
    "over": "surestime", "under": "sous-estime", "matches": "correspond à peu près à",
    "spread_none": "non mesurable (une seule valeur prédite)", "spread_extreme": "trop étalée (pente sous 1 : risques élevés trop hauts, faibles trop bas)",
    "spread_moderate": "trop resserrée (pente au-dessus de 1)", "spread_right": "à peu près juste (pente proche de 1)",
    "calibration_reading": "{name} : {observed} événements observés pour {expected} attendus (O/A {oe}) : le score {direction} le risque de ces patients ; "
                           "calibration globale {intercept} (0 idéalement), pente {slope} : sa dispersion est {spread}. Score de Brier {brier} (plus bas = meilleur). "
                           "Les points au-dessus de la diagonale sont des groupes avec plus d'événements que prédit.",
    "useful": "{name} : utiliser le score vaut mieux que traiter tout le monde ou personne pour des seuils de probabilité de {low} à {high} (là où sa courbe est au-dessus des deux).",
    "useless": "{name} : à aucun seuil de probabilité le score ne fait mieux que traiter tout le monde ou personne.",
    "not_chance": "une différence qui ne semble pas due au hasard", "maybe_chance": "une différence que ces données ne distinguent pas du hasard",
    "difference_reading": "{a} − {b} : différence d'AUROC {d} (IC 95 % {low} à {high}, DeLong p = {p}) : {verdict}.",
    "groups_reading": "{name} selon {column} : l'AUROC diffère de {gap} entre le meilleur et le moins bon groupe ; le Brier de {brier} ; la part signalée au premier seuil de {flagged}.",
    "checklist": (
        ("Définition de l'événement et sa mesure", "colonne {outcome!r} (binaire) ; comment il a été constaté, cet outil l'ignore : à préciser"),
        ("Taille de l'échantillon et nombre d'événements", "{n} patients, {events} événements"),
        ("Données manquantes : combien et comment traitées", "{missing} ligne(s) écartée(s) (analyse des cas complets, sans imputation)"),
        ("Discrimination avec son incertitude", "AUROC avec IC 95 % de DeLong, AUPRC"),
        ("Calibration (courbe, intercept, pente)", "courbe de calibration par classes et LOWESS, calibration globale, pente, O/A, Brier|non évaluée : les scores ne sont pas des probabilités"),
        ("Utilité clinique", "courbe de décision (bénéfice net face à traiter tous et ne traiter personne)|non évaluée"),
        ("Performance par sous-groupe / équité", "{groups}|aucune colonne de sous-groupe donnée"),
        ("Comparaison avec un autre modèle", "test de DeLong apparié|un seul score"),
        ("Contexte, éligibilité et dates des données évaluées", "décrire la cohorte (clinsearch cohort donne son attrition et sa Table 1)"),
        ("Horizon de la prédiction et suivi", "vérifier que l'événement a été observé sur l'horizon que le score prédit (SCORE2 : 10 ans)"),
        ("Censure / risques concurrents", "non traités : un événement binaire suppose un suivi complet"),
        ("Validation interne / correction de l'optimisme", "ceci est une évaluation externe d'un score fixé ; un modèle ajusté sur ces données en aurait besoin"),
    ),
}

WORDS = {"en": EN, "fr": FR}


def words(lang: str) -> dict:
    """The report's words in ``lang`` (English when unknown: the command line's default)."""
    return WORDS.get(lang, EN)


# The sentences ``evaluate.run`` and ``evaluate.cohort`` write in English (the API's and the
# command line's), as the French report says them: (pattern, replacement), applied in order.
FRENCH_SENTENCES = (
    (r"^only (\d+) events: every measure is very uncertain$", r"seulement \1 événements : toutes les mesures sont très incertaines"),
    (r"^only (\d+) non-events: every measure is very uncertain$", r"seulement \1 non-événements : toutes les mesures sont très incertaines"),
    (r"^(\d+) row\(s\) left out for a missing value \((.*)\); if they differ from the others, the results may be biased$",
     r"\1 ligne(s) écartée(s) pour une valeur manquante (\2) ; si elles diffèrent des autres, les résultats peuvent être biaisés"),
    (r"too small to conclude \((\d+) patients, (\d+) events; at least (\d+) and (\d+) events and non-events wanted\)",
     r"trop petit pour conclure (\1 patients, \2 événements ; au moins \3 et \4 événements et non-événements souhaités)"),
    (r"^(.+): divided by 100 \(a percentage\)$", r"\1 : divisé par 100 (un pourcentage)"),
    (r"^(.+): mapped to probabilities by a logistic regression fitted on these data \(intercept (\S+), slope (\S+)\); "
     r"its calibration is perfect in-sample by construction$",
     r"\1 : converti en probabilités par une régression logistique ajustée sur ces données (intercept \2, pente \3) ; "
     r"sa calibration est parfaite sur ces mêmes données, par construction"),
    (r"^cohort '(.*)', (\S+) at the index date$", r"cohorte « \1 », \2 à la date index"),
    (r"withheld: it quotes counts under (\d+)", r"masqué : il cite des effectifs de moins de \1"),
    (r"^the report is withheld: it would show counts under (\d+) to the researcher role$",
     r"le rapport est masqué : il montrerait des effectifs de moins de \1 au rôle chercheur"),
    (r"^sensitivity@", "sensibilité@"), (r"^flagged_rate@", "part signalée@"), (r"^observed_rate$", "taux observé"),
    (r"^mean_predicted$", "risque prédit moyen"),
    (r"\bfemale\b", "femme"), (r"\bmale\b", "homme"), (r"\(missing\)", "(manquant)"),
)


def say(text: str, lang: str) -> str:
    """One of the evaluation's sentences (a warning, a note, the source, a subgroup's value) in ``lang``."""
    import re

    if lang != "fr" or not isinstance(text, str):
        return text
    for pattern, replacement in FRENCH_SENTENCES:
        text = re.sub(pattern, replacement, text)
    return text
