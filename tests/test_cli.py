"""The command-line contract: help everywhere, JSON shapes, exit codes, one-line errors."""

from __future__ import annotations

import json

import pytest

from tests.helpers import DATA, run_cli

COMMANDS = [[], ["ingest"], ["stats"], ["demo"], ["nlp"], ["index"], ["search"], ["cohort"], ["evaluate"], ["score"], ["user"], ["user", "add"], ["audit"], ["audit", "verify"], ["serve"], ["annotate"]]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    result = run_cli(*command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.stdout


def test_a_usage_error_exits_2():
    assert run_cli("ingest").exit_code == 2
    assert run_cli("no-such-command").exit_code == 2


def test_stats_json_has_every_table_and_the_quarantine_count(data, tmp_path):
    (tmp_path / "person.csv").write_text("person_id,year_of_birth\n1,1950\n2,x\n")
    assert run_cli("--data", data, "ingest", tmp_path / "person.csv").exit_code == 1
    result = run_cli("--data", data, "stats", "--json")
    assert result.exit_code == 0
    stats = json.loads(result.stdout)
    assert set(stats) == {"tables", "quarantine", "nlp", "derived_stale"} and stats["nlp"] == {"waiting": 0, "outdated": 0}
    assert stats["derived_stale"] is False
    assert stats["tables"]["person"] == 1 and stats["quarantine"] == 1
    assert {"person", "note", "note_nlp", "image_occurrence", "article", "concept", "observation_period", "cdm_source"} <= set(stats["tables"])


def test_stats_without_a_warehouse_says_so(data):
    result = run_cli("--data", data, "stats")
    assert result.exit_code == 1 and "no warehouse here yet" in result.stderr


def test_the_data_directory_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CLINSEARCH_DATA", str(tmp_path / "from-env"))
    (tmp_path / "person.csv").write_text("person_id,year_of_birth\n1,1950\n")
    assert run_cli("ingest", tmp_path / "person.csv").exit_code == 0
    made = tmp_path / "from-env"
    assert (made / "warehouse.duckdb").exists() or (made / "warehouse.url").exists()  # embedded, or the server of CLINSEARCH_WAREHOUSE
    assert run_cli("--data", made, "stats").exit_code == 0


def test_ingest_prints_a_summary_table_with_counts(data):
    result = run_cli("--data", data, "ingest", DATA / "synthea_fhir" / "hospitalInformation1603148702656.json.gz")
    assert result.exit_code == 0
    assert "ingest summary" in result.stdout and "│   17 │     17 │       0 │" in result.stdout  # Organizations and Locations mapped, none skipped


def test_a_missing_path_is_a_one_line_error_naming_it(data, tmp_path):
    result = run_cli("--data", data, "ingest", tmp_path / "nowhere.csv")
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "nowhere.csv: no such file or folder" in lines[0]


def test_overlapping_highlights_are_printed_once():
    """A lexicon term inside a longer one ("diabetes" in "diabetes mellitus") was printed twice."""
    from clinsearch.cli.render import highlighted

    assert highlighted("type 2 diabetes mellitus.", [(7, 24), (7, 15)]) == "type 2 [bold reverse]diabetes mellitus[/bold reverse]."
    assert highlighted("EP et TVP", [(6, 9), (0, 2), (1, 2)]) == "[bold reverse]EP[/bold reverse] et [bold reverse]TVP[/bold reverse]"
    assert highlighted("a [b] c", [(2, 5)]) == "a [bold reverse]\\[b][/bold reverse] c"  # markup in the text stays text
