"""Whatever bytes a file holds, ingest never crashes: it loads, quarantines or refuses clearly."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinsearch.ingest.run import ingest
from clinsearch.warehouse.store import open_store
from tests.helpers import load, quarantine

NAMES = ["person.csv", "note.csv", "export.ndjson", "bundle.json", "articles.xml", "image.dcm"]
CSV_LIKE = st.lists(
    st.lists(st.sampled_from(["1", "x", "", "2024-01-01", "31/02/2020", '"', ";", "é", "\x00", "1e400", "99999999999999999999"]), min_size=1, max_size=6),
    max_size=6,
).map(lambda rows: "person_id,year_of_birth\n" + "\n".join(",".join(r) for r in rows))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(NAMES), content=st.one_of(st.binary(max_size=400), st.text(max_size=400).map(str.encode), CSV_LIKE.map(str.encode)))
def test_any_bytes_in_any_known_file_never_crash_the_ingest(fresh_warehouse, name, content):
    fresh_warehouse()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        with open_store(Path(folder) / "data") as store:
            result = ingest(store, [path])
            counted = sum(s.read for s in result.summaries)
            stored = store.count("person") + store.count("quarantine")
        assert result.problems or counted >= 0
        assert stored >= 0 and all(s.status in ("loaded", "partly quarantined", "quarantined", "failed") for s in result.summaries)


def test_fhir_json_in_latin1_is_refused_with_the_reason(data, tmp_path):
    path = tmp_path / "patient.json"
    path.write_bytes('{"resourceType": "Patient", "id": "é", "birthDate": "1950-01-01"}'.encode("latin-1"))
    result = load(data, path)
    assert result.summaries[0].status == "failed"
    assert "not UTF-8 text as FHIR JSON must be" in quarantine(data)[0]["reason"]


def test_huge_integers_are_quarantined_not_overflowed(data, tmp_path):
    path = tmp_path / "person.csv"
    path.write_text("person_id,year_of_birth\n1,99999999999\n99999999999999999999,1950\n2,1950\n")
    result = load(data, path)
    assert result.summaries[0].loaded == 1 and result.summaries[0].quarantined == 2


def test_a_nul_character_in_a_text_value_quarantines_that_record_only(data, tmp_path):
    path = tmp_path / "export.ndjson"
    path.write_text(
        '{"resourceType": "Patient", "id": "a", "birthDate": "1950-01-01", "name": [{"family": "Dupont\\u0000"}]}\n'
        '{"resourceType": "Patient", "id": "b", "birthDate": "1960-01-01", "gender": "female"}\n'
        '{"resourceType": "Condition", "id": "c", "subject": {"reference": "Patient/b"}, '
        '"code": {"text": "diab\\u0000te"}, "onsetDateTime": "2020-01-01"}\n')
    result = load(data, path)
    summary = result.summaries[0]
    rows = quarantine(data)
    assert summary.loaded >= 1 and summary.quarantined == len(rows) >= 1
    assert all("\x00" not in str(row) for row in rows)
    assert any("NUL character in" in row["reason"] for row in rows)
