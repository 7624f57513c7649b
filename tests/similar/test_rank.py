"""TF-IDF and cosine on small hand-built patient x concept matrices: rarity weighs, the
explanation adds up to the similarity, the mask and the ties are kept."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import sparse

from clinsearch.similar.rank import candidates, explain, neighbours, similarities, weigh

# columns: 0 common (every patient), 1 rare (patients 0 and 1), 2 medium (patients 2, 3, 4), 3 patient 5 only
COUNTS = sparse.csr_matrix(np.array([
    [3, 1, 0, 0],
    [1, 1, 0, 0],
    [1, 0, 1, 0],
    [2, 0, 1, 0],
    [1, 0, 4, 0],
    [0, 0, 0, 2],
    [1, 0, 0, 0],
], dtype=float))


def test_idf_is_scikit_learns_smoothed_idf_and_rows_are_unit_length():
    w = weigh(COUNTS)
    n = COUNTS.shape[0]
    df = np.array([6, 2, 3, 1])
    assert w.patients.tolist() == df.tolist()
    assert np.allclose(w.idf, np.log((1 + n) / (1 + df)) + 1)
    norms = np.sqrt(np.asarray(w.matrix.multiply(w.matrix).sum(axis=1)).ravel())
    assert np.allclose(norms, 1.0)
    # sublinear tf: patient 0's common concept counted 3 times weighs 1 + ln 3 times its idf before normalising
    row = w.matrix[0].toarray().ravel()
    assert row[0] / row[1] == pytest.approx((1 + math.log(3)) * w.idf[0] / w.idf[1])


def test_a_shared_rare_concept_outranks_a_shared_common_one():
    w = weigh(COUNTS)
    ranked = neighbours(w, 0, 6)
    assert ranked[0][0] == 1  # shares the rare concept
    assert [r for r, _ in ranked][1:] == [6, 3, 2, 4]  # then by how much of the common concept is left: alone (6) first
    assert 5 not in [r for r, _ in ranked]  # nothing in common: similarity 0, never listed
    assert 0 not in [r for r, _ in ranked]  # never itself
    assert all(a[1] >= b[1] for a, b in zip(ranked, ranked[1:]))


def test_binary_and_raw_tf_change_the_weights_as_said():
    binary = weigh(COUNTS, "binary").matrix.toarray()
    assert binary[4, 2] / binary[4, 0] == pytest.approx(weigh(COUNTS).idf[2] / weigh(COUNTS).idf[0])  # presence only
    raw = weigh(COUNTS, "raw").matrix.toarray()
    assert raw[4, 2] / raw[4, 0] == pytest.approx(4 * weigh(COUNTS).idf[2] / weigh(COUNTS).idf[0])
    with pytest.raises(ValueError):
        weigh(COUNTS, "log")


def test_the_shared_concepts_add_up_to_the_cosine_and_the_differences_are_each_sides():
    w = weigh(COUNTS)
    cosine = similarities(w, 3)
    why = explain(w, 3, 0)
    assert sum(part for _, part in why.shared) == pytest.approx(cosine[0])
    assert [c for c, _ in why.shared] == [0]
    assert [c for c, _ in why.only_query] == [2]
    assert [c for c, _ in why.only_other] == [1]
    assert why.only_other[0][1] == pytest.approx(w.matrix[0, 1])
    both = explain(w, 2, 4)  # the same two concepts, the heavier share first
    assert [c for c, _ in both.shared] == [2, 0] and not both.only_query and not both.only_other


def test_the_mask_keeps_the_allowed_patients_only_and_ties_go_by_row():
    w = weigh(COUNTS)
    allowed = np.array([True, False, True, True, True, True, True])
    ranked = neighbours(w, 0, 3, allowed)
    assert 1 not in [r for r, _ in ranked] and len(ranked) == 3
    assert candidates(w, 0) == 5 and candidates(w, 0, allowed) == 4
    twins = weigh(sparse.csr_matrix(np.array([[1, 0], [1, 0], [1, 0], [1, 0], [0, 1]], dtype=float)))
    assert neighbours(twins, 2, 2) == [(0, pytest.approx(1.0)), (1, pytest.approx(1.0))]
    assert neighbours(twins, 4, 3) == []


def test_an_empty_matrix_and_an_empty_row():
    empty = weigh(sparse.csr_matrix((3, 0)))
    assert neighbours(empty, 0, 5) == [] and candidates(empty, 1) == 0
    w = weigh(sparse.csr_matrix(np.array([[0, 0], [1, 1], [1, 0]], dtype=float)))
    assert neighbours(w, 0, 5) == []
    assert [r for r, _ in neighbours(w, 1, 5)] == [2]
