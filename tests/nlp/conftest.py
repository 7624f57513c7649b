"""Fixtures shared by the NLP tests."""

from __future__ import annotations

import pytest

from clinsearch.nlp.pipeline import load_pipeline


@pytest.fixture(scope="session")
def nlp():
    """The full French pipeline, from the pipeline cache (built on first use)."""
    return load_pipeline("fr")


@pytest.fixture(scope="session")
def demo_texts(tmp_path_factory) -> list[str]:
    """40 notes of 10 patients from the demo generator."""
    from clinsearch.demo.generator import generate

    folder = tmp_path_factory.mktemp("demo-notes")
    generate(folder, patients=10, notes=40, seed=7)
    return [p.read_text(encoding="utf-8") for p in sorted((folder / "sources" / "documents").rglob("*.txt"))]
