"""Creating a model on the demo's patients: it beats chance on held-back patients, a shuffled
outcome brings it back to chance, no feature postdates the index date, and a saved model
applied again gives exactly its predictions."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from clinsearch.cohort.build import build
from clinsearch.cohort.definition import read
from clinsearch.model import features as feature_set
from clinsearch.model.run import fit
from clinsearch.services import models
from clinsearch.services.access import command_line
from clinsearch.services.errors import AccessDenied, ModelError
from clinsearch.warehouse.store import open_store
from tests.helpers import run_cli

EXAMPLES = resources.files("clinsearch.demo").joinpath("examples")


def example(name: str) -> dict:
    return json.loads(EXAMPLES.joinpath(name).read_text("utf-8"))


COHORT, OUTCOME = example("model-cohort.json"), example("cv-outcome.json")


@pytest.fixture(scope="module")
def trained(demo):
    """The logistic model of the demo, saved (the CLI's --json)."""
    result = run_cli("--data", demo, "model", "train", "--cohort", EXAMPLES.joinpath("model-cohort.json"), "--outcome-definition",
                     EXAMPLES.joinpath("cv-outcome.json"), "--save", "test-cv-lr", "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_the_model_beats_chance_on_the_held_back_patients(trained):
    auroc = trained["test"]["scores"]["test-cv-lr"]["auroc"]
    assert trained["n_test"] > 50 and trained["events_test"] >= 10
    assert auroc["ci_low"] > 0.6, auroc  # the lower end of DeLong's interval, not just the estimate
    assert {"n_train", "n_test", "events_test", "features", "test"} <= set(trained)
    assert all({"name", "weight"} <= set(f) for f in trained["features"]) and trained["features"]
    assert "calibration" in trained["test"]["scores"]["test-cv-lr"] and trained["test"]["groups"]["sex"]


def test_a_shuffled_outcome_brings_the_test_auroc_back_to_chance(demo):
    """One shuffle's AUROC on 120 held-back patients wanders by about ±0.06 (its standard error):
    the mean over several shuffles is what must sit at 0.5."""
    request = command_line(demo)
    for kind, seeds in (("logistic", (1, 2, 3, 4, 5)), ("gbm", (1, 2, 3))):
        values = []
        for seed in seeds:
            result = models.train_model(request, COHORT, OUTCOME, kind, shuffle_outcome=True, seed=seed)
            values.append(result["test"]["scores"]["model"]["auroc"]["value"])
            assert any("SHUFFLED" in x for x in result["card"]["limitations"])
        assert abs(np.mean(values) - 0.5) < 0.08 and max(abs(v - 0.5) for v in values) < 0.2, (kind, values)


def test_the_report_holds_the_evaluation_and_the_model_card(demo):
    result = models.train_model(command_line(demo), COHORT, OUTCOME, "logistic", report=True, split="time")
    html = result["report_html"]
    assert "Model card" in html and "TRIPOD+AI" in html and "alibration" in html
    items = result["card"]["tripod_ai"]
    assert len({i["item"].rstrip("abcdefg") for i in items}) == 27
    assert {i["status"] for i in items} == {"in this card", "to be written by the authors"}
    assert result["split"] == "time" and "temporal" in result["card"]["training"]["split"]


def test_no_feature_postdates_the_index_date(demo):
    with open_store(demo, read_only=True) as store:
        members = build(store, demo, read(COHORT)).members
        built = feature_set.build(store, members)
    assert all(newest is None or newest <= index for newest, index in zip(built.newest, built.index_dates))
    assert any(newest == index for newest, index in zip(built.newest, built.index_dates))  # the index day itself counts


@pytest.mark.duckdb_only  # copies the embedded warehouse file
def test_features_are_the_same_when_everything_after_each_index_date_is_erased(demo, tmp_path):
    """The strongest form of "no leakage": a copy of the warehouse where every row dated after a
    patient's index date is deleted gives exactly the same features."""
    copy = tmp_path / "warehouse"
    copy.mkdir()
    for name in ("warehouse.duckdb", "secret.key"):
        shutil.copy2(demo / name, copy / name)
    with open_store(demo, read_only=True) as store:
        members = build(store, demo, read(COHORT)).members
        before = feature_set.build(store, members)
    import pyarrow as pa

    with open_store(copy) as store:
        store.register("cut", pa.table({"person_id": [p for p, _ in members], "index_date": pa.array([d for _, d in members], pa.date32())}))
        after_index = "x.person_id = c.person_id AND x.{0} > c.index_date"
        for table, column in (("condition_occurrence", "condition_start_date"), ("drug_exposure", "drug_exposure_start_date"),
                              ("procedure_occurrence", "procedure_date"), ("measurement", "measurement_date")):
            store.execute(f"DELETE FROM {table} x WHERE EXISTS (SELECT 1 FROM cut c WHERE {after_index.format(column)})")
        store.execute("DELETE FROM note_nlp WHERE note_id IN (SELECT x.note_id FROM note x JOIN cut c ON x.person_id = c.person_id WHERE x.note_date > c.index_date)")
        store.execute("DELETE FROM note x WHERE EXISTS (SELECT 1 FROM cut c WHERE " + after_index.format("note_date") + ")")
        erased = store.query("SELECT count(*) FROM measurement")[0][0]
        after = feature_set.build(store, members)
        store.unregister("cut")
    with open_store(demo, read_only=True) as store:
        assert store.query("SELECT count(*) FROM measurement")[0][0] > erased  # something was erased
    assert after.names == before.names
    assert np.array_equal(after.values, before.values, equal_nan=True)


def test_applying_the_saved_model_reproduces_its_predictions_exactly(demo, trained):
    saved = json.loads((demo / "models" / "test-cv-lr" / "model.json").read_text("utf-8"))
    result = run_cli("--data", demo, "model", "apply", "test-cv-lr", "--cohort", EXAMPLES.joinpath("model-cohort.json"), "--json")
    assert result.exit_code == 0, result.stderr
    applied = {r["person_id"]: r["probability"] for r in json.loads(result.stdout)["patients"]}
    expected = {r["person_id"]: r["probability"] for r in saved["predictions"]}
    assert applied == expected and len(applied) == trained["n_train"] + trained["n_test"]


def test_a_saved_model_whose_file_changed_is_refused(demo, trained, tmp_path):
    target = demo / "models" / "test-cv-lr-copy"
    shutil.copytree(demo / "models" / "test-cv-lr", target)
    meta = json.loads((target / "model.json").read_text("utf-8"))
    meta["name"] = "test-cv-lr-copy"
    (target / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    with (target / "model.joblib").open("ab") as handle:
        handle.write(b"\0")
    try:
        result = run_cli("--data", demo, "model", "apply", "test-cv-lr-copy", "--cohort", EXAMPLES.joinpath("model-cohort.json"))
        assert result.exit_code == 2 and "SHA-256" in result.stderr
        with pytest.raises(ModelError, match="no model named"):
            models.apply_model(command_line(demo), "nothing-here", COHORT)
    finally:
        shutil.rmtree(target)


def test_evaluate_compares_the_saved_model_with_score2_on_the_same_patients(demo, trained):
    result = run_cli("--data", demo, "evaluate", "--cohort", EXAMPLES.joinpath("score2-cohort.json"), "--score-name", "score2",
                     "--outcome-definition", EXAMPLES.joinpath("mace-outcome.json"), "--model", "test-cv-lr", "--json")
    assert result.exit_code == 0, result.stderr
    found = json.loads(result.stdout)
    assert set(found["scores"]) == {"score2", "model test-cv-lr"}
    assert found["comparison"]["scores"] == ["score2", "model test-cv-lr"] and 0 <= found["comparison"]["p_value"] <= 1
    assert all(s["net_benefit"] for s in found["scores"].values())


def test_a_researcher_sees_blurred_counts_and_pseudonyms(demo, trained):
    researcher = command_line(demo, "researcher")
    result = models.train_model(researcher, COHORT, OUTCOME, "logistic")
    assert all(isinstance(result[k], (int, str)) for k in ("n_train", "n_test"))
    assert result["n_test"] % 5 == 0 or isinstance(result["n_test"], str)  # rounded as the disclosure rules say
    applied = models.apply_model(researcher, "test-cv-lr", COHORT)
    assert all(isinstance(r["person_id"], str) and not r["person_id"].isdigit() for r in applied["patients"])
    clinician = models.apply_model(command_line(demo), "test-cv-lr", COHORT)
    assert sorted(r["probability"] for r in applied["patients"]) == sorted(r["probability"] for r in clinician["patients"])


def test_a_cohort_too_small_to_learn_from_is_refused_with_a_reason(demo):
    tiny = {**COHORT, "name": "tiny", "inclusion": [{"type": "demographics", "age": {"min": 18}}, {"type": "condition", "codes": ["C34*"]}]}
    result = run_cli("--data", demo, "model", "train", "--cohort", _write(demo, tiny), "--outcome-definition",
                     EXAMPLES.joinpath("cv-outcome.json"))
    assert result.exit_code == 1 and "event" in result.stderr and "Traceback" not in result.stderr


def _write(demo: Path, definition: dict) -> Path:
    path = demo.parent / f"{definition['name']}.json"
    path.write_text(json.dumps(definition), encoding="utf-8")
    return path


def test_features_of_a_researcher_and_the_choices_are_recorded(demo):
    with pytest.raises(AccessDenied):
        models.train_model(command_line(demo, "admin"), COHORT, OUTCOME)
    result = models.train_model(command_line(demo), COHORT, OUTCOME, features=["demographics", "notes"], qualified="separate")
    names = {f["name"] for f in result["features"]}
    assert all(n.split(":")[0] in ("age", "sex", "text", "text-negated", "text-hypothetical", "text-family", "missing", "(intercept)") for n in names)
    assert result["feature_spec"]["qualified"] == "separate" and "features of their own" in result["card"]["features"]["qualified_mentions"]
