"""Scores over a cohort of the demo (`clinsearch score NAME --cohort`), and the score panel of the
web patient page."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from clinsearch.cohort.build import build
from clinsearch.cohort.definition import load
from clinsearch.scores.registry import SCORES, compute_for_patient
from clinsearch.security.audit import AuditLog
from clinsearch.warehouse.store import open_store
from tests.cohort.test_cohort_api import web_login
from tests.helpers import run_cli

COHORT = Path(__file__).parent.parent.parent / "src" / "clinsearch" / "demo" / "examples" / "score2-cohort.json"


def test_score2_over_a_cohort_at_each_index_date(demo, tmp_path):
    export = tmp_path / "score2.csv"
    result = run_cli("--data", demo, "score", "score2", "--cohort", COHORT, "--export", export, "--json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    with open_store(demo, read_only=True) as store:
        members = build(store, demo, load(COHORT)).members
        spot = {p: compute_for_patient(store, "score2", p, at=d) for p, d in members[:5]}
    assert out["patients"] == len(members) == len(out["rows"])
    assert [(r["person_id"], r["index_date"]) for r in out["rows"]] == [(p, d.isoformat()) for p, d in members]
    for row in out["rows"][:5]:
        expected = spot[row["person_id"]]
        assert row["value"] == (round(expected.value, 4) if expected.computed else None) and row["category"] == expected.category
    with open(export, encoding="utf-8", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == len(members)
    log = AuditLog(demo)
    try:
        assert any(e["action"] == "score-export" for e in log.entries(20, 0))
    finally:
        log.close()


def test_cohort_mode_refuses_bad_use(demo, tmp_path):
    assert run_cli("--data", demo, "score", "nope", "--cohort", COHORT).exit_code == 2
    assert run_cli("--data", demo, "score", "score2", "--cohort", COHORT, "--patient", "1").exit_code == 2
    assert run_cli("--data", demo, "score", "score2", "--cohort", COHORT, "--export", tmp_path / "x.txt").exit_code == 2


def test_the_patient_page_shows_every_score_with_its_trail_to_clinicians_only(demo):
    clinician, _ = web_login(demo, "clinician")
    page = clinician.get("/patients/8").text
    assert 'data-testid="scores"' in page and 'data-src="/patients/8/scores"' in page  # the scores come last, after the page
    panel = clinician.get("/patients/8/scores").text
    from clinsearch.services.access import command_line
    from clinsearch.services.scores import score_panel

    statuses = {s["score"]: s["status"] for s in score_panel(command_line(demo), "8")}
    for name in SCORES:
        if name != "score2-op":
            assert (f'data-score="{name}"' in panel) == (statuses[name] != "not_applicable"), name  # only the scores that apply
    assert "measurement" in panel and "person 8: born" in panel  # the trail
    researcher, _ = web_login(demo, "researcher")
    found = researcher.get("/search?q=EP&patients=1").text
    alias = found.split("/patients/", 1)[1].split('"', 1)[0]
    assert "data-score=" not in researcher.get(f"/patients/{alias}/scores").text
