"""``clinsearch patient``: the summary as text and as the --json contract, the letter as a file,
and a clear error for a patient who does not exist."""

from __future__ import annotations

import json

import docx

from tests.helpers import run_cli


def test_the_json_summary_has_the_documented_keys(demo):
    result = run_cli("--data", demo, "patient", "1", "--json")
    assert result.exit_code == 0, result.stderr
    found = json.loads(result.stdout)
    assert {"person", "problems", "family_history", "treatments", "allergies", "procedures", "imaging", "labs", "scores"} <= set(found)
    problem = found["problems"][0]
    assert {"label", "code", "vocabulary", "status", "first_date", "last_date", "citations"} <= set(problem)
    assert problem["vocabulary"] == "CIM10" and problem["status"] in ("active", "history")
    assert all(("note_id" in c and {"start", "end", "text"} <= set(c)) or {"table", "row", "text"} <= set(c) for c in problem["citations"])


def test_the_text_summary_lists_problems_with_their_sources(demo):
    result = run_cli("--data", demo, "patient", "1")
    assert result.exit_code == 0, result.stderr
    assert "Problèmes" in result.stdout and "condition_occurrence" in result.stdout and "[active]" in result.stdout


def test_the_letter_is_written_where_asked(demo, tmp_path):
    target = tmp_path / "sortie.docx"
    result = run_cli("--data", demo, "patient", "1", "--letter", "--output", target)
    assert result.exit_code == 0, result.stderr
    paragraphs = [p.text for p in docx.Document(str(target)).paragraphs]
    assert paragraphs[0] == "Compte rendu de sortie (brouillon)" and any(p.startswith("[1] person") for p in paragraphs)
    html = tmp_path / "adressage.html"
    assert run_cli("--data", demo, "patient", "1", "--letter", "referral", "--format", "html", "--output", html).exit_code == 0
    assert "<h1>Courrier d&#x27;adressage (brouillon)</h1>" in html.read_text(encoding="utf-8")


def test_an_unknown_patient_is_one_line_and_exit_1(demo, tmp_path):
    result = run_cli("--data", demo, "patient", "987654321")
    assert result.exit_code == 1 and result.stderr.strip() == "error: no patient 987654321"
    result = run_cli("--data", demo, "patient", "1", "--letter", "--output", tmp_path / "missing" / "x.docx")
    assert result.exit_code == 1 and "does not exist" in result.stderr and not (tmp_path / "missing").exists()


def test_a_pseudonymised_summary_takes_a_pseudonym(demo):
    from clinsearch.services.access import pseudonym

    assert run_cli("--data", demo, "patient", "1", "--pseudonymised").exit_code == 1  # an id is not a pseudonym
    result = run_cli("--data", demo, "patient", pseudonym(demo, 1), "--pseudonymised", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["person"]["person_id"] == pseudonym(demo, 1)
