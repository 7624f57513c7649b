"""The model card: what a model was made from, how, how well it does on patients it never saw,
and what it must not be used for -- with the TRIPOD+AI checklist (``data/tripod_ai.json``), each
item marked as filled by the card (and where) or left for the authors to write."""

from __future__ import annotations

import json
from functools import lru_cache
from html import escape
from importlib import resources

from clinsearch.model.train import FOLDS, LARGE, MIN_PATIENTS, TEST_SHARE

TOP_WEIGHTS = 30


@lru_cache(maxsize=1)
def tripod_ai() -> dict:
    return json.loads(resources.files("clinsearch.model").joinpath("data", "tripod_ai.json").read_text("utf-8"))


def card(result: dict, cohort: dict, outcome: dict) -> dict:
    """The card of a trained model from its training result (``run.fit``) and its definitions."""
    name, test = result["name"], result["test"]
    auroc = test["scores"][name]["auroc"]
    kind = "L1-penalised logistic regression" if result["model"] == "logistic" else "gradient-boosted trees (scikit-learn HistGradientBoosting)"
    split = ("a random quarter of the patients, stratified on the outcome" if result["split"] == "patient"
             else "the latest quarter of index dates (temporal validation)")
    spec = result["feature_spec"]
    limitations = [
        "Developed and evaluated on this hospital's own records only (internal validation): its performance elsewhere is unknown.",
        f"{result['events_test']} outcome events among the held-back patients: "
        + ("every measure is very uncertain." if result["events_test"] < 100 else "the intervals show the remaining uncertainty."),
        "The outcome is what the warehouse records (codes, notes): events treated elsewhere or never written down are missed.",
        f"Apparent AUROC on the training patients {result['train_auroc']['value']:.3f} against {auroc['value']:.3f} on the held-back ones: "
        "the gap is over-fitting." if result["train_auroc"]["value"] - auroc["value"] > 0.05 else
        f"Apparent AUROC on the training patients {result['train_auroc']['value']:.3f}, held-back {auroc['value']:.3f}.",
    ]
    if result.get("shuffled_outcome"):
        limitations.insert(0, "Trained on SHUFFLED outcomes (a negative control): it must not predict anything.")
    if result.get("balance"):
        limitations.append("Classes were re-weighted: predicted risks are inflated (see the calibration).")
    return {
        "title": f"Development and internal validation of a model predicting {result['outcome']!r} in {result['cohort']!r}",
        "intended_use": f"Decision support for clinicians of this hospital: the risk of {result['outcome']!r} for a patient of the cohort "
                        f"{result['cohort']!r} at the index date. Not for patients outside that cohort, not a diagnosis.",
        "data": {"source": "the clinsearch warehouse of this hospital (OMOP CDM: coded data and NLP of the notes)",
                 "period": result["period"], "patients": result["n_train"] + result["n_test"],
                 "events": result["events_train"] + result["events_test"], "cohort_definition": cohort, "outcome_definition": outcome},
        "features": {"spec": spec, "built": result["features_built"], "used": result["features_used"], "left_out_rare": result["features_rare"],
                     "rule": f"features held by fewer than {MIN_PATIENTS} training patients are left out",
                     "qualified_mentions": "negated, hypothetical and family mentions " + ("are left out" if spec["qualified"] == "omit" else "are features of their own"),
                     "weights": result["features"][:TOP_WEIGHTS],
                     "weights_are": "coefficients per standard deviation (L1: the others are 0)" if result["model"] == "logistic"
                                    else "permutation importance: the fall of the test AUROC when the feature is shuffled"},
        "training": {"model": kind, "split": split, "test_share": TEST_SHARE,
                     "sample": {"n_train": result["n_train"], "events_train": result["events_train"], "n_test": result["n_test"], "events_test": result["events_test"]},
                     "tuning": f"{FOLDS if result['n_train'] < LARGE else 3}-fold stratified cross-validation on the training patients, scored by log-loss", "chosen": result["hyperparameters"],
                     "missing_values": "an indicator column per measurement and the training median" if result["model"] == "logistic"
                                       else "missing values sent down a branch the trees learn",
                     "class_imbalance": "stratified split and folds; classes re-weighted" if result.get("balance") else
                                        "stratified split and folds, log-loss tuning; classes not re-weighted (calibrated risks)",
                     "seed": result["seed"]},
        "performance": {"auroc": auroc, "brier": test["scores"][name].get("brier"), "calibration": test["scores"][name].get("calibration"),
                        "subgroups": sorted(test.get("groups", {})), "train_auroc": result["train_auroc"]},
        "output": "a probability of the outcome; no threshold is built in (the report's decision curve and threshold table help choose one)",
        "apply": "clinsearch model apply NAME --cohort DEFINITION builds the same features and gives the saved model's probability for each patient",
        "limitations": limitations,
        "tripod_ai": [{**item, "status": "in this card" if item["filled"] else "to be written by the authors"} for item in tripod_ai()["items"]],
        "tripod_ai_source": tripod_ai()["source"],
    }


def card_html(found: dict) -> str:
    """The card as an HTML section (inserted in the evaluation report)."""
    perf = found["performance"]["auroc"]
    rows = "".join(f"<tr><td>{escape(w['label'])}</td><td><code>{escape(w['name'])}</code></td><td>{w['weight']:+.4f}</td></tr>"
                   for w in found["features"]["weights"])
    checklist = "".join(f"<tr><td>{escape(i['item'])}</td><td>{escape(i['section'])}</td><td>{escape(i['topic'])}</td>"
                        f"<td>{escape(i['status'])}{' (' + escape(i['filled']) + ')' if i['filled'] else ''}</td></tr>" for i in found["tripod_ai"])
    training = found["training"]
    ci = f" (95% CI {perf['ci_low']:.3f}-{perf['ci_high']:.3f})" if perf.get("ci_low") is not None else ""
    return f"""<section id="model-card"><h2>Model card</h2>
<p><strong>{escape(found['title'])}</strong></p>
<p>{escape(found['intended_use'])}</p>
<h3>Data</h3><p>{escape(found['data']['source'])}; index dates {escape(found['data']['period']['index_from'])} to {escape(found['data']['period']['index_to'])};
{found['data']['patients']} patients, {found['data']['events']} with the outcome.</p>
<h3>Training</h3><p>{escape(training['model'])}; held back: {escape(training['split'])}; {escape(training['tuning'])} (chosen: {escape(json.dumps(training['chosen']))});
missing values: {escape(training['missing_values'])}; class imbalance: {escape(training['class_imbalance'])}.</p>
<h3>Performance on the held-back patients</h3><p>AUROC {perf['value']:.3f}{ci}; on the training patients {found['performance']['train_auroc']['value']:.3f}.</p>
<h3>Features</h3><p>{found['features']['used']} used of {found['features']['built']} built ({escape(found['features']['rule'])}; {escape(found['features']['qualified_mentions'])}).
Weights: {escape(found['features']['weights_are'])}.</p>
<table><thead><tr><th>feature</th><th>name</th><th>weight</th></tr></thead><tbody>{rows}</tbody></table>
<h3>Limitations</h3><ul>{''.join(f'<li>{escape(x)}</li>' for x in found['limitations'])}</ul>
<h3>TRIPOD+AI checklist</h3><p class="muted">{escape(found['tripod_ai_source'])}</p>
<table><thead><tr><th>item</th><th>section</th><th>topic</th><th>status</th></tr></thead><tbody>{checklist}</tbody></table>
</section>"""
