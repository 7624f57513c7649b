"""Patients like mine: TF-IDF weights of the concept matrix and cosine similarity.

Each patient is a vector of concepts (``concepts.read_concepts``), weighted by

* **tf, sublinear**: ``1 + ln(count)`` of the patient's records and affirmed mentions of the
  concept. One stray mention counts, a disease coded and written in ten notes counts more (it
  is surely the patient's), but not ten times more: the number of notes a patient has is the
  hospital's activity, not their illness. Binary tf (presence only) ranks the demo's rare
  diseases a little worse (docs/similar.md, the figures);
* **idf**: ``ln((1 + N) / (1 + df)) + 1`` (scikit-learn's smoothed idf), ``df`` the number of
  patients with the concept: a rare disease weighs more than hypertension, which half the
  patients share;

each row normalised to unit length, so that the cosine of two patients is the dot product of
their rows and each shared concept's share of it is ``w_a * w_b``.

>>> from scipy import sparse
>>> counts = sparse.csr_matrix([[1, 1, 0], [1, 1, 0], [1, 0, 1], [1, 0, 0]])
>>> w = weigh(counts)
>>> [(row, round(s, 3)) for row, s in neighbours(w, 0, 3)]
[(1, 1.0), (3, 0.552), (2, 0.255)]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfTransformer

TF = ("sublinear", "binary", "raw")


@dataclass
class Weights:
    matrix: sparse.csr_matrix  # patients x concepts, TF-IDF, rows of unit length (or zero)
    idf: np.ndarray  # per concept
    patients: np.ndarray  # per concept: how many patients have it (its document frequency)


def weigh(counts: sparse.spmatrix, tf: str = "sublinear") -> Weights:
    """TF-IDF of a patient x concept matrix of counts (scikit-learn's ``TfidfTransformer``)."""
    if tf not in TF:
        raise ValueError(f"tf must be one of {', '.join(TF)}")
    counts = sparse.csr_matrix(counts, dtype=np.float64, copy=True)  # the caller's matrix (perhaps a shared one) is left as it is
    counts.eliminate_zeros()
    patients = np.diff(counts.tocsc().indptr).astype(np.int64)
    if counts.shape[0] == 0 or counts.shape[1] == 0:
        return Weights(counts, np.ones(counts.shape[1]), patients)
    source = counts.sign() if tf == "binary" else counts
    transformer = TfidfTransformer(norm="l2", use_idf=True, smooth_idf=True, sublinear_tf=tf == "sublinear")
    matrix = sparse.csr_matrix(transformer.fit_transform(source))
    return Weights(matrix, transformer.idf_, patients)


def similarities(weights: Weights, row: int) -> np.ndarray:
    """The cosine of patient ``row`` with every patient (one sparse matrix-vector product)."""
    return np.asarray((weights.matrix @ weights.matrix[row].T).toarray()).ravel()


def neighbours(weights: Weights, row: int, limit: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
    """The ``limit`` rows most similar to ``row`` (itself left out, and every row of similarity 0),
    most similar first, ties by row; ``allowed``: a boolean mask of the rows that may be given."""
    scores = similarities(weights, row)
    scores[row] = 0.0
    if allowed is not None:
        scores[~allowed] = 0.0
    candidates = np.flatnonzero(scores > 1e-12)
    if limit < len(candidates):
        # the limit-th best score, then every row at least as good (ties kept, then cut by row)
        cut = np.partition(scores[candidates], len(candidates) - limit)[len(candidates) - limit]
        candidates = candidates[scores[candidates] >= cut]
    order = sorted(candidates.tolist(), key=lambda r: (-scores[r], r))[:limit]
    return [(r, float(scores[r])) for r in order]


def candidates(weights: Weights, row: int, allowed: np.ndarray | None = None) -> int:
    """How many other patients share at least one concept with ``row`` (similarity above 0)."""
    scores = similarities(weights, row)
    scores[row] = 0.0
    if allowed is not None:
        scores[~allowed] = 0.0
    return int((scores > 1e-12).sum())


@dataclass
class Explanation:
    shared: list[tuple[int, float]]  # (concept, w_query * w_other), largest first: their sum is the cosine
    only_query: list[tuple[int, float]]  # (concept, w_query), the query patient's concepts the other lacks
    only_other: list[tuple[int, float]]  # (concept, w_other), the other's concepts the query patient lacks


def explain(weights: Weights, row: int, other: int) -> Explanation:
    """What two patients share and what tells them apart, each list ordered by weight (largest
    first, ties by concept)."""
    a, b = _row(weights.matrix, row), _row(weights.matrix, other)
    shared = [(c, a[c] * b[c]) for c in a.keys() & b.keys()]
    only_query = [(c, w) for c, w in a.items() if c not in b]
    only_other = [(c, w) for c, w in b.items() if c not in a]
    return Explanation(*(sorted(x, key=lambda t: (-t[1], t[0])) for x in (shared, only_query, only_other)))


def _row(matrix: sparse.csr_matrix, row: int) -> dict[int, float]:
    start, end = matrix.indptr[row], matrix.indptr[row + 1]
    return dict(zip(matrix.indices[start:end].tolist(), matrix.data[start:end].tolist()))
