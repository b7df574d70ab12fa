"""The mixed-distribution figure shows what it says: Logistic-Normal samples strictly
inside the 2-simplex, Gaussian-sparsemax samples on the edges and vertices, and the exact
face probabilities of the library."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from figures.mixed_simplex import from_triangle, mixed_simplex, to_triangle
from hfy_reference.mixed import GaussianSparsemax, faces

matplotlib.use("Agg")

LOC, COV, N = (0.3, 0.0, -0.2), 0.35, 1500


@pytest.fixture(scope="module")
def fig():
    f = mixed_simplex(LOC, COV, n_samples=N, seed=3)
    FigureCanvasAgg(f).draw()
    return f


def _by_gid(fig, gid):
    out = [a for ax in fig.axes for a in ax.get_children() if a.get_gid() == gid]
    assert out, gid
    return out


def _bary(coll):
    return from_triangle(coll.get_offsets())


def test_triangle_coordinates_round_trip():
    P = np.random.default_rng(0).dirichlet([1, 1, 1], 50)
    np.testing.assert_allclose(from_triangle(to_triangle(P)), P, atol=1e-15)


def test_logistic_normal_samples_are_all_interior(fig):
    B = _bary(_by_gid(fig, "ln-samples")[0])
    assert len(B) == N
    assert B.min() > 1e-6  # no sample on (or near) an edge


def test_gaussian_sparsemax_puts_samples_on_edges_and_vertices(fig):
    inner = _bary(_by_gid(fig, "gs-interior")[0])
    edge = _bary(_by_gid(fig, "gs-edges")[0])
    assert len(inner) > 0 and len(edge) > 0
    assert inner.min() > -1e-12
    # every edge sample has exactly one zero coordinate (to the rounding of the plot
    # transform) and two positive ones
    zero = np.abs(edge) <= 1e-12
    assert np.all(zero.sum(axis=1) == 1)
    assert np.all(edge[~zero] > 0)
    # the vertex discs: areas proportional to the exact vertex probabilities
    P = GaussianSparsemax(LOC, COV).face_probabilities()
    discs = _by_gid(fig, "gs-vertices")[0]
    np.testing.assert_allclose(discs.get_sizes() / 900.0, [P[(i,)] for i in range(3)],
                               rtol=1e-12)
    np.testing.assert_allclose(_bary(discs), np.eye(3), atol=1e-12)
    # the samples not drawn as points are the vertex samples, fewer than 4.5 se away
    n_vertex = N - len(inner) - len(edge)
    pv = sum(P[(i,)] for i in range(3))
    assert abs(n_vertex / N - pv) <= 4.5 * math.sqrt(pv * (1 - pv) / N)


def test_every_face_is_annotated_with_its_exact_probability(fig):
    P = GaussianSparsemax(LOC, COV).face_probabilities()
    for S in faces(3):
        (t,) = _by_gid(fig, f"P{S}")
        assert t.get_text() == f"{P[S]:.3f}"


def test_mass_per_face_dimension_bars_and_sample_fractions(fig):
    P = GaussianSparsemax(LOC, COV).face_probabilities()
    exact = [sum(p for S, p in P.items() if len(S) == d + 1) for d in range(3)]
    gs = [p.get_height() for p in _by_gid(fig, "bars-gs")]
    ln = [p.get_height() for p in _by_gid(fig, "bars-ln")]
    np.testing.assert_allclose(gs, exact, atol=1e-15)
    assert ln == [0.0, 0.0, 1.0]
    freq = _by_gid(fig, "freq-gs")[0].get_ydata()
    for f, p in zip(freq, exact, strict=True):
        assert abs(f - p) <= 4.5 * math.sqrt(p * (1 - p) / N)
    assert list(_by_gid(fig, "freq-ln")[0].get_ydata()) == [0.0, 0.0, 1.0]


def test_both_panels_map_the_same_scores():
    from hfy_reference.maps import softmax, sparsemax
    from hfy_reference.mixed import LogisticNormal

    X = GaussianSparsemax(LOC, COV).sample_scores(50, random_state=3)
    np.testing.assert_array_equal(LogisticNormal(LOC, COV).rvs(50, random_state=3),
                                  softmax(X, axis=-1))
    np.testing.assert_array_equal(GaussianSparsemax(LOC, COV).rvs(50, random_state=3),
                                  sparsemax(X, axis=-1))


def test_bad_loc():
    with pytest.raises(ValueError, match="loc must have 3 entries"):
        mixed_simplex((0.0, 1.0, 2.0, 3.0), 1.0, n_samples=10)
