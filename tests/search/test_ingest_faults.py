"""kill -9 of an ingest at any stage (load, NLP, index) never leaves search giving a wrong
answer: a negated finding is never returned as affirmed, and the next ingest completes the work."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from clinsearch.search import engine
from tests.helpers import run_cli

NEGATED = "Angioscanner thoracique : pas d'embolie pulmonaire. Pas de thrombose."
AFFIRMED = "Angioscanner thoracique : embolie pulmonaire segmentaire droite."


def write(folder, n: int = 40):
    folder.mkdir()
    for i in range(n):
        text = NEGATED if i % 2 else AFFIRMED
        (folder / f"n{i}.txt").write_text(text + " " + "Suivi en consultation. " * 20, encoding="utf-8")
        (folder / f"n{i}.txt.json").write_text(json.dumps({"person_source_value": f"P{i}", "date": "2024-01-10", "type": "CRI", "create_persons": True}), encoding="utf-8")
    return folder


def test_a_killed_ingest_never_makes_a_negated_finding_affirmed(tmp_path):
    data = tmp_path / "warehouse"
    sources = write(tmp_path / "notes")
    for delay in (1.0, 3.0, 5.0, 7.0, 9.0):
        process = subprocess.Popen([sys.executable, "-m", "clinsearch.cli", "--data", str(data), "ingest", str(sources)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        try:
            found = engine.search(data, "embolie pulmonaire", limit=200)
        except engine.SearchError:
            continue  # killed before the first index: an error, not an answer
        for hit in found.documents:  # whatever stage the kill hit, every hit is an affirmed embolism
            assert any("segmentaire" in s.text for s in hit.snippets), [s.text for s in hit.snippets]
    final = run_cli("--data", data, "ingest", sources)
    assert final.exit_code == 0, final.stderr
    found = engine.search(data, "embolie pulmonaire", limit=200)
    assert found.total == 20 and all(any("segmentaire" in s.text for s in h.snippets) for h in found.documents)
    assert engine.search(data, 'neg:"embolie pulmonaire"', limit=200).total == 20
