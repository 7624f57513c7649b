"""The small hospital of the search tests (9 patients, real notes through the real NLP), for
exact expectations; the demo (``demo``, 500 patients) for the figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.search.conftest import write_hospital


@pytest.fixture(scope="package")
def small(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("similar")
    data = root / "warehouse"
    result = run_cli("--data", data, "ingest", write_hospital(root / "sources"))
    assert result.exit_code == 0, result.stderr
    return data
