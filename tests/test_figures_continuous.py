"""Content of the continuous-distribution figures: what is drawn is the library's
densities, supports, draws and attention (expected values computed here, from
hfy_reference.continuous or by quadrature, not from the figure code)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from hfy_reference.continuous import EntmaxGaussian, GaussianRBF, attention

matplotlib.use("Agg")


def _lines(ax):
    return [ln for ln in ax.lines if ln.get_label() and not ln.get_label().startswith("_")]


@pytest.fixture(scope="module")
def dens_fig():
    from figures.continuous_densities import continuous_densities

    fig = continuous_densities(n_points=601, n_draws=20_000)
    FigureCanvasAgg(fig).draw()
    return fig


def test_densities_are_the_library_pdfs_with_their_supports(dens_fig):
    ax = dens_fig.axes[0]
    curves = _lines(ax)
    alphas = (1.0, 4 / 3, 1.5, 2.0, 3.0)
    assert len(curves) == len(alphas)
    marks = [ln.get_xdata()[0] for ln in ax.lines if ln.get_gid() == "support"]
    for a, ln in zip(alphas, curves, strict=True):
        t, y = np.asarray(ln.get_xdata()), np.asarray(ln.get_ydata())
        p = EntmaxGaussian(0.0, 1.0, a)
        assert np.array_equal(y, p.pdf(t))
        area = np.trapezoid(y, t)
        if a > 1:  # compact support inside the window: mass 1, zero beyond ±R, marked
            R = p.support_radius
            assert abs(area - 1) < 2e-3
            assert np.all(y[np.abs(t) > R] == 0) and np.all(y[np.abs(t) < 0.99 * R] > 0)
            assert np.isclose(marks, R, rtol=1e-12).any() and np.isclose(marks, -R).any()
        else:  # the Gaussian: positive on the whole window
            assert np.all(y > 0) and abs(area - 0.99863) < 1e-3
    # the talk's shape: the peak grows with α and the support shrinks
    peaks = [ln.get_ydata().max() for ln in curves]
    assert np.all(np.diff(peaks) > 0)


def test_sampler_panel_histogram_matches_density(dens_fig):
    ax = dens_fig.axes[1]
    heights = np.array([r.get_height() for r in ax.patches])
    centres = np.array([r.get_x() + r.get_width() / 2 for r in ax.patches])
    p = EntmaxGaussian(0.0, 1.0, 2.0)
    want = p.pdf(centres)
    inside = want > 0.1
    # 20 000 draws, bins of width 0.056: relative standard error ≈ 1/sqrt(n·p·w) < 7 %
    assert np.all(np.abs(heights[inside] / want[inside] - 1) < 0.25)
    assert np.all(heights[np.abs(centres) > p.support_radius + 0.06] == 0)


def test_contours_support_ellipse_and_draws():
    from figures.qgaussian_contours import _MU, _SIGMA, qgaussian_contours

    fig = qgaussian_contours(n_grid=61, n_draws=200)
    FigureCanvasAgg(fig).draw()
    data_axes = [ax for ax in fig.axes if ax.get_title()]
    assert len(data_axes) == 3
    for ax, a in zip(data_axes, (1.0, 1.5, 2.0), strict=True):
        p = EntmaxGaussian(_MU, _SIGMA, a)
        sup = [ln for ln in ax.lines if ln.get_gid() == "support"]
        draws = [ln for ln in ax.lines if ln.get_gid() != "support"][0]
        xy = np.column_stack([draws.get_xdata(), draws.get_ydata()])
        if a == 1:
            assert not sup
        else:
            (ell,) = sup
            e = np.column_stack([ell.get_xdata(), ell.get_ydata()])
            assert np.allclose(p.mahalanobis2(e), p.support_radius ** 2, rtol=1e-12)
            assert np.all(p.mahalanobis2(xy) <= p.support_radius ** 2)
        assert ax.collections  # the filled contours


def test_attention_figure_contexts_are_expectations_of_the_reconstruction():
    from figures.continuous_attention import continuous_attention, demo_signal

    fig = continuous_attention(n_basis=24, n_samples=150)
    FigureCanvasAgg(fig).draw()
    ax_s, ax_p, ax_w = (ax for ax in fig.axes if ax.get_title())
    recon = next(ln for ln in ax_s.lines if ln.get_label().startswith("RBF fit"))
    t, shat = np.asarray(recon.get_xdata()), np.asarray(recon.get_ydata())
    ctx = {ln.get_label(): ln.get_ydata()[0] for ln in ax_s.lines
           if ln.get_label().startswith("context")}
    dens = {ln.get_label(): np.asarray(ln.get_ydata()) for ln in _lines(ax_p)}
    for name in ("softmax", "sparsemax"):
        # c = E_p[ŝ(t)]: by the trapezoid rule over the plotted curves (800 points)
        c_num = np.trapezoid(dens[name] * shat, t) / np.trapezoid(dens[name], t)
        assert abs(ctx[f"context $c$ ({name})"] - c_num) < 2e-3
    # the weights panel shows the library's attention
    rbf = GaussianRBF(np.linspace(0, 1, 24), 1.5 / 24)
    for ln, a in zip(_lines(ax_w), (1.0, 2.0), strict=True):
        assert np.allclose(ln.get_ydata(), attention(0.6, 0.004, a, rbf), rtol=1e-15)
    # sparsemax's density is exactly zero away from the query; softmax's is not
    far = np.abs(t - 0.6) > 0.25
    assert np.all(dens["sparsemax"][far] == 0) and np.all(dens["softmax"][far] >= 0)
    assert demo_signal(150)[1].shape == (150,)
