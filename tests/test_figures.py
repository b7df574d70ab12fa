"""Tests of the figures package: every figure renders on small settings with labelled
axes and a legend, the regularization path plots the library's maps, its marks sit
exactly where the support changes, and the CLI writes the files.

Expected values come from the library's maps called here (or from the contract's closed
forms, e.g. the margins), never from the figure code under test.
"""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import figures
from figures import cli
from hfy_reference import KSubsets, NormEntropy, Shannon, Tsallis
from hfy_reference.structured import SequentialKSubsets

matplotlib.use("Agg")  # no pyplot is imported: figures are bare Figure objects


@pytest.fixture(autouse=True, scope="module")
def _one_numba_thread():
    """The figures make many small library calls; on shared cores, waking a second
    thread per call costs ~10 ms (the CLI does the same, ``--threads 1``)."""
    import numba

    old = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(old)

TALK_Z = np.array([1.0716, -1.1221, -0.3288, 0.3368, 0.0425])

# the maps the regularization path must show, keyed by the title of their panel
PATH_MAPS = {
    "softmax": Shannon(),
    "1.5-entmax": Tsallis(1.5),
    "sparsemax": Tsallis(2.0),
    "2-normmax": NormEntropy(2.0),
    "5-normmax": NormEntropy(5.0),
    "SparseMAP 2-subsets": KSubsets(2),
}


SEQ = SequentialKSubsets(2, w=0.5)
PATH_MAPS["sequential 2-subsets (w=0.5)"] = SEQ


def _render(fig: Figure) -> None:
    """Draw with Agg: mathtext and layout errors only show up at draw time."""
    FigureCanvasAgg(fig).draw()


def _data_axes(fig: Figure):
    """Axes that show data (not the ones turned off to hold a legend)."""
    return [ax for ax in fig.axes if ax.axison]


@pytest.fixture(scope="module")
def quick_figs():
    """Every figure on its small settings, drawn once with Agg."""
    out = {}
    for name in figures.NAMES:
        fig = figures.get(name)(**figures.QUICK[name])
        _render(fig)  # tick labels are only set at draw time
        out[name] = fig
    return out


# ---- every figure -----------------------------------------------------------------
def _shows_tick_labels(axis) -> bool:
    return any(t.get_visible() and t.get_text() for t in axis.get_ticklabels())


@pytest.mark.parametrize("name", figures.NAMES)
def test_figure_renders_with_labels_and_legend(name, quick_figs):
    fig = quick_figs[name]
    assert isinstance(fig, Figure)
    axes = _data_axes(fig)
    assert axes, "no axes with data"
    for ax in axes:
        where = f"{name}, axes {ax.get_title()!r}"
        assert ax.lines or ax.collections or ax.images or ax.patches, f"{where}: empty"
        # an axis that shows numbers is labelled (inner panels of a grid hide theirs)
        if _shows_tick_labels(ax.xaxis):
            assert ax.get_xlabel(), f"{where}: numbered x axis without a label"
        if _shows_tick_labels(ax.yaxis):
            assert ax.get_ylabel(), f"{where}: numbered y axis without a label"
    assert any(ax.get_xlabel() for ax in axes) and any(ax.get_ylabel() for ax in axes)
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend()] + list(fig.legends)
    assert legends, f"{name}: no legend"
    assert all(len(leg.get_texts()) > 0 for leg in legends)
    assert fig._suptitle is not None and fig._suptitle.get_text(), f"{name}: no title"
    titles = [ax.get_title() for ax in axes if ax.get_title()]
    assert titles, f"{name}: panels without titles"


def test_one_colour_per_map_across_figures(quick_figs):
    """A map's legend entry has the same colour in every figure."""
    stems = {"softmax", "1.5-entmax", "sparsemax", "2-normmax", "5-normmax",
             "SparseMAP 2-subsets"}
    seen: dict[str, set] = {}
    for fig in quick_figs.values():
        legends = [ax.get_legend() for ax in fig.axes if ax.get_legend()] + list(fig.legends)
        for leg in legends:
            for handle, text in zip(leg.legend_handles, leg.get_texts(), strict=True):
                stem = text.get_text().split(" (")[0]
                if stem not in stems:
                    continue
                if hasattr(handle, "get_color"):
                    color = handle.get_color()
                else:
                    color = handle.get_facecolor()
                seen.setdefault(stem, set()).add(matplotlib.colors.to_hex(color))
        for ax in fig.axes:  # panel titles naming a map are drawn in its colour
            stem = ax.get_title().split(" (")[0]
            if stem in stems:
                seen.setdefault(stem, set()).add(matplotlib.colors.to_hex(ax.title.get_color()))
    assert set(seen) == stems
    for stem, colors in seen.items():
        assert len(colors) == 1, f"{stem} drawn in {sorted(colors)}"
    # and the maps are told apart
    assert len({next(iter(c)) for c in seen.values()}) == len(stems)


def test_unknown_figure_name():
    with pytest.raises(ValueError, match="unknown figure"):
        figures.get("nope")


# ---- regularization path ----------------------------------------------------------
@pytest.fixture(scope="module")
def path_fig():
    from figures.regularization_path import regularization_path

    return regularization_path(n_points=150)


def _path_panels(fig):
    return {ax.get_title(): ax for ax in _data_axes(fig)}


def test_regularization_path_shows_the_talks_maps(path_fig):
    titles = set(_path_panels(path_fig))
    assert titles == set(PATH_MAPS)
    assert len(titles) == 7
    for ax in _path_panels(path_fig).values():
        assert ax.get_xlim() == (0.0, 6.0)


def test_regularization_path_lines_are_the_library_maps(path_fig):
    for title, ax in _path_panels(path_fig).items():
        if title not in PATH_MAPS:
            continue
        reg = PATH_MAPS[title]
        coords = [ln for ln in ax.lines if not str(ln.get_gid()).startswith("transition")]
        assert len(coords) == TALK_Z.size
        for i, ln in enumerate(coords):
            t = np.asarray(ln.get_xdata(), dtype=float)
            y = np.asarray(ln.get_ydata(), dtype=float)
            assert t.min() > 0.0 and t.max() == pytest.approx(6.0)
            assert t.size >= 150
            # beta z evaluated as z / t, as plotted: at a transition temperature an
            # entering coordinate of 5-normmax grows like (gap)^(1/4), so one ulp in the
            # scores moves it by ~1e-4
            expected = reg.argmax(TALK_Z[None, :] / t[:, None])[:, i]
            np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-15,
                                       err_msg=f"{title}, coordinate {i + 1}")


def _supports(reg, t):
    """Support pattern of ``reg.argmax(z / t)`` for each temperature in ``t`` (one
    batched call); for the structured maps also which entries are saturated at 1 (the
    free set changes there too)."""
    P = reg.argmax(TALK_Z[None, :] / np.asarray(t, dtype=float)[:, None])
    K = P > 0
    if not isinstance(reg, (Shannon, Tsallis, NormEntropy)):
        K = np.concatenate([K, P >= 1], axis=1)
    return [tuple(row) for row in K]


def test_transition_marks_are_where_the_support_changes(path_fig):
    checked = 0
    for title, ax in _path_panels(path_fig).items():
        reg = PATH_MAPS[title]
        exact = sorted(ln.get_xdata()[0] for ln in ax.lines if ln.get_gid() == "transition")
        located = sorted(ln.get_xdata()[0] for ln in ax.lines
                         if ln.get_gid() == "transition-located")
        if reg is SEQ:  # no closed form: located by bisection, drawn differently
            assert exact == []
            marks, rel = located, 1e-9
        else:
            assert located == []
            marks, rel = exact, 1e-7
        if isinstance(reg, Shannon):
            assert marks == [], "softmax is dense: no support change"
            continue
        assert marks, f"{title}: no transition marked"
        # (1) the support differs just below and just above each mark
        assert all(0.0 < tm <= 6.0 for tm in marks)
        inside = [tm for tm in marks if tm * (1 + rel) <= 6.0]
        sides = _supports(reg, [x for tm in inside for x in (tm * (1 - rel), tm * (1 + rel))])
        for j, tm in enumerate(inside):
            assert sides[2 * j] != sides[2 * j + 1], f"{title}: no change at {tm}"
            checked += 1
        # (2) between marks the support is constant: every change on a fine grid has
        # a mark in between
        grid = np.linspace(6.0 / 3000, 6.0, 3000)
        sup = _supports(reg, grid)
        for a, b, sa, sb in zip(grid[:-1], grid[1:], sup[:-1], sup[1:], strict=True):
            if sa != sb:
                assert any(a <= tm <= b for tm in marks), \
                    f"{title}: support changes in ({a}, {b}) without a mark"
    assert checked >= 16


def test_exact_marks_match_the_spec_thresholds(path_fig):
    """Sparsemax: sorted entry (s) enters at T_s = sum_{j<s} (z_(j) - z_(s)) (math §1)."""
    ax = _path_panels(path_fig)["sparsemax"]
    marks = sorted(ln.get_xdata()[0] for ln in ax.lines if ln.get_gid() == "transition")
    zs = np.sort(TALK_Z)[::-1]
    expected = sorted(float(np.sum(zs[:s] - zs[s])) for s in range(1, zs.size))
    np.testing.assert_allclose(marks, [t for t in expected if t <= 6.0], rtol=1e-14)


def test_located_marks_agree_with_the_closed_forms():
    """The bisection used for maps without a closed form (sequential k-subsets) finds
    the exact temperatures where theory has them."""
    from figures._common import locate_support_changes
    from hfy_reference.theory import support_change_temperatures

    for reg in (Tsallis(2.0), NormEntropy(2.0), KSubsets(2)):
        np.testing.assert_allclose(locate_support_changes(TALK_Z, reg, 6.0),
                                   support_change_temperatures(TALK_Z, reg, 6.0), rtol=1e-13)


# ---- margins ------------------------------------------------------------------------
def test_margins_marked_where_the_loss_reaches_zero():
    from figures.margins import margins

    fig = margins(n_points=601)
    expected = {"Tsallis": {2.0, 1.0, 1.0 / 3.0}, "norm": {1.0}}
    loss_axes = [ax for ax in fig.axes if "loss" in ax.get_title()]
    assert len(loss_axes) == 2
    for ax, family in zip(loss_axes, ("Tsallis", "norm"), strict=True):
        marks = {round(ln.get_xdata()[0], 12) for ln in ax.lines if ln.get_gid() == "margin"}
        assert marks == {round(m, 12) for m in expected[family]}
        curves = [ln for ln in ax.lines if ln.get_gid() != "margin" and len(ln.get_xdata()) > 2]
        assert len(curves) == 4
        for ln in curves:
            s = np.asarray(ln.get_xdata())
            loss = np.asarray(ln.get_ydata())
            label = ln.get_label()
            if label.startswith("softmax"):
                assert (loss > 0).all()
                continue
            m = 2.0 if label.startswith("1.5-entmax") else (
                1.0 / 3.0 if label.startswith("4-entmax") else 1.0)
            assert (loss[s >= m + 1e-9] <= 1e-12).all(), label
            assert (loss[s < m - 1e-3] > 0).all(), label


# ---- Hopfield figures ---------------------------------------------------------------
FIXED_UNIT = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0]]) / np.sqrt(2.0)
SIMPLEX_MAPS = ["softmax", "1.5-entmax", "sparsemax", "2-normmax", "5-normmax"]


BASIN_MAPS = ["softmax", "1.5-entmax", "sparsemax", "4-entmax", "2-normmax", "5-normmax",
              "10-normmax"]


def test_attractor_codes_on_hand_made_attentions():
    from figures.basins import attractor_labels

    P = np.array([[0.0, 1.0, 0.0],          # exact retrieval of pattern 2
                  [0.95, 0.05, 0.0],        # approximate retrieval of pattern 1
                  [0.5, 0.5, 0.0],          # uniform average of two
                  [1 / 3, 1 / 3, 1 / 3],    # uniform average of three
                  [0.6, 0.4, 0.0],          # other mixture
                  [0.4999995, 0.4999995, 1e-6],  # uniform within the resolution
                  [0.45, 0.45, 0.1]])       # not uniform: 0.1 outside the support
    assert attractor_labels(P).tolist() == [2, 4, 7, 7, 0, 7, 0]


def _panel_codes(ax):
    return np.asarray(ax.images[0].get_array()).ravel()


@pytest.fixture(scope="module")
def basins_fig():
    from figures.basins import basins

    return basins(n_grid=30, n_random=2, posts=("plain-scaled", "l2"), max_iter=50)


def test_basins_colour_the_attractor_each_query_reaches(basins_fig):
    from hfy_reference import NormEntropy, Tsallis
    from hfy_reference.hopfield import HopfieldNetwork

    rows = np.array(_data_axes(basins_fig)).reshape(5, 7)
    assert [ax.get_title() for ax in rows[0]] == BASIN_MAPS
    n_max = 5
    for ax in rows[0]:  # the fixed patterns, plain update, beta = 10
        label = ax.get_title()
        reg = PATH_MAPS.get(label) or (Tsallis(4.0) if label == "4-entmax"
                                       else NormEntropy(10.0))
        img = ax.images[0]
        lab = np.asarray(img.get_array())
        x0, x1, y0, y1 = img.get_extent()
        g = np.linspace(x0, x1, lab.shape[1])
        G1, G2 = np.meshgrid(g, np.linspace(y0, y1, lab.shape[0]))
        Q = np.column_stack([G1.ravel(), G2.ravel()])
        res = HopfieldNetwork(FIXED_UNIT, reg, beta=10.0).retrieve(Q, max_iter=50)
        d = np.linalg.norm(res.q[:, None, :] - FIXED_UNIT[None], axis=-1)
        codes = lab.ravel()
        exact = (codes >= 1) & (codes <= 3)
        # exact codes: the final state is the pattern itself (to the last bits)
        np.testing.assert_array_less(d[exact, codes[exact] - 1], 1e-12, err_msg=label)
        # approximate codes: close to that pattern but not on it
        approx = (codes > n_max) & (codes <= n_max + 3)
        assert (d[approx, codes[approx] - n_max - 1] < 0.5).all(), label
        if label == "softmax":  # softmax never retrieves exactly, but it gets close
            assert not exact.any() and approx.mean() > 0.9
        else:
            assert set(np.unique(codes[exact])) == {1, 2, 3}, label


def test_basins_show_the_talks_trend_in_alpha(basins_fig):
    """As alpha grows, entmax retrieves single patterns more often and normmax reaches
    uniform averages of several more often (the two random sets, plain update)."""
    rows = np.array(_data_axes(basins_fig)).reshape(5, 7)
    uniform = 2 * 5 + 1
    for row in rows[1:3]:
        codes = [_panel_codes(ax) for ax in row]
        exact = [float(((c >= 1) & (c <= 5)).mean()) for c in codes[:4]]
        assert exact == sorted(exact) and exact[-1] > exact[0] + 0.3, exact
        uni = [float((c == uniform).mean()) for c in codes[4:]]
        assert uni[-1] > uni[0], uni


def test_basins_l2_row_differs_from_the_plain_one(basins_fig):
    rows = np.array(_data_axes(basins_fig)).reshape(5, 7)
    plain, l2 = rows[3], rows[4]
    changed = [float((_panel_codes(a) != _panel_codes(b)).mean())
               for a, b in zip(plain, l2, strict=True)]
    assert max(changed) > 0.2, changed
    assert all(ln.get_linestyle() != "None" for ln in l2[0].lines[:1])  # the unit circle


def test_energy_contour_trajectories_follow_the_update():
    from figures.energy_contours import energy_contours
    from hfy_reference.hopfield import HopfieldNetwork

    fig = energy_contours(n_grid=25, n_random=0, n_starts=3)
    axes = _data_axes(fig)
    axes = [ax for ax in axes if ax.get_title() in SIMPLEX_MAPS]
    assert len(axes) == 5
    for ax in axes:
        net = HopfieldNetwork(FIXED_UNIT, PATH_MAPS[ax.get_title()], beta=1.0)
        iterates = [ln for ln in ax.lines
                    if ln.get_marker() == "." and ln.get_linestyle() == "None"]
        assert len(iterates) == 3
        for ln in iterates:
            path = np.column_stack([ln.get_xdata(), ln.get_ydata()])
            assert len(path) >= 2
            np.testing.assert_allclose(net.step(path[:-1]), path[1:], rtol=0, atol=1e-12)
            E = net.energy(path)
            assert (np.diff(E) <= 1e-12).all(), "energy increased along a plotted path"


def test_metastable_histograms_are_distributions():
    from figures.metastable import metastable

    fig = metastable(**figures.QUICK["metastable"])
    for ax in _data_axes(fig):
        # support sizes start at 1: a dense output is never "support size 0"
        assert [t.get_text() for t in ax.get_xticklabels()][0] == "1"
        bars = [c for c in ax.containers if c.get_label()]
        assert len(bars) == 6
        for c in bars:
            heights = np.array([r.get_height() for r in c])
            assert heights.sum() == pytest.approx(100.0)
            if c.get_label().startswith("SparseMAP 2-subsets"):
                # a 2-subset marginal has at least 2 nonzero entries
                xs = np.array([r.get_x() + r.get_width() / 2 for r in c])
                assert heights[xs < 1.5].sum() == 0.0


def test_sparsity_each_panel_has_a_legend_matching_its_lines():
    from figures.sparsity import sparsity

    fig = sparsity(**figures.QUICK["sparsity"])
    for ax in _data_axes(fig):
        leg = ax.get_legend()
        assert leg is not None, ax.get_title()
        lines = {ln.get_label(): ln for ln in ax.lines}
        for handle, text in zip(leg.legend_handles, leg.get_texts(), strict=True):
            ln = lines[text.get_text()]
            assert handle.get_linestyle() == ln.get_linestyle() == "-"
            assert handle.get_color() == ln.get_color()
            assert handle.get_marker() == ln.get_marker()


def test_maps_2d_3d_has_the_talks_surface_plots():
    from mpl_toolkits.mplot3d import Axes3D

    from figures.maps_2d_3d import maps_2d_3d

    fig = maps_2d_3d(**figures.QUICK["maps_2d_3d"])
    surf = [ax for ax in fig.axes if isinstance(ax, Axes3D)]
    assert [ax.get_title() for ax in surf] == SIMPLEX_MAPS
    for ax in surf:
        (poly,) = ax.collections
        # the surface's vertices (quads along their edges): z = y_hat([t1, t2, 0])_1
        z = np.asarray(poly._faces)[..., 2]
        assert z.min() >= 0.0 and z.max() <= 1.0
        flat = np.mean((z == 0.0) | (z == 1.0))
        if ax.get_title() == "softmax":
            assert flat == 0.0  # smooth, never exactly 0 or 1
        else:
            assert flat > 0.2, ax.get_title()  # flat regions at 0 and 1 (sparse maps)


def test_simplex_vertex_labels_clear_of_the_dots():
    from figures.maps_2d_3d import _TRIANGLE, maps_2d_3d

    fig = maps_2d_3d(**figures.QUICK["maps_2d_3d"])
    for ax in fig.axes:
        for t in ax.texts:
            if t.get_text() in ("$e_1$", "$e_2$", "$e_3$"):
                k = int(t.get_text()[3]) - 1
                assert np.linalg.norm(np.array(t.get_position()) - _TRIANGLE[k]) >= 0.12


def test_row_labels_are_readable(quick_figs):
    """Row labels of the grid figures are at least 7 pt (8 pt for the energy contours)."""
    for name, least in (("energy_contours", 8.0), ("basins", 7.0)):
        labels = [ax.yaxis.label for ax in _data_axes(quick_figs[name])
                  if ax.get_ylabel()]
        assert labels
        assert min(lb.get_fontsize() for lb in labels) >= least, name


def test_mass_support_size_against_hand_counts():
    from figures.metastable import mass_support_size

    P = np.array([[1.0, 0.0, 0.0, 0.0], [0.5, 0.3, 0.2, 0.0], [0.25, 0.25, 0.25, 0.25],
                  [0.995, 0.005, 0.0, 0.0]])
    assert mass_support_size(P).tolist() == [1, 3, 4, 1]
    uniform = np.full((1, 1000), 1e-3)  # the case a 0.01 cut-off counted as size 0
    assert mass_support_size(uniform).tolist() == [990]


def test_capacity_curves_are_rates_and_softmax_is_never_exact():
    from figures.capacity import capacity

    fig = capacity(**figures.QUICK["capacity"])
    ax = _data_axes(fig)[0]
    curves = {ln.get_label(): np.asarray(ln.get_ydata()) for ln in ax.lines
              if not ln.get_label().startswith("_")}
    assert any(k.startswith("softmax") for k in curves)
    for label, y in curves.items():
        assert ((y >= 0) & (y <= 1)).all(), label
        if label.startswith("softmax"):
            assert (y == 0).all()
    # at N = 2 patterns in D = 4 with beta = 100, eps = 0.01, sparse maps always succeed
    assert curves["sparsemax ($m = 1$)"][0] == 1.0
    # only the bounds are dashed or dotted; equal margins give identical curves (theory)
    for ln in ax.lines:
        label = ln.get_label()
        if label.startswith(("T7 bound", "min-angle")):
            assert ln.get_linestyle() in ("--", ":"), label
        elif not label.startswith("_"):
            assert ln.get_linestyle() == "-", label
    same = [k for k in curves if "same as sparsemax by theory" in k]
    assert {k.split(" ")[0] for k in same} == {"2-normmax", "5-normmax"}
    for k in same:
        np.testing.assert_array_equal(curves[k], curves["sparsemax ($m = 1$)"])


# ---- CLI ----------------------------------------------------------------------------
def test_cli_writes_png_files(tmp_path, capsys):
    out = tmp_path / "figs"
    rc = cli.main(["--out", str(out), "--quick", "--only", "margins", "sparsity"])
    assert rc == 0
    files = sorted(p.name for p in out.iterdir())
    assert files == ["margins.png", "sparsity.png"]
    for f in files:
        assert (out / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    captured = capsys.readouterr()
    assert "2/2" in captured.err and "wrote 2 figure(s)" in captured.out


def test_cli_writes_pdf(tmp_path):
    rc = cli.main(["--out", str(tmp_path), "--quick", "--only", "margins", "--format", "pdf"])
    assert rc == 0
    assert (tmp_path / "margins.pdf").read_bytes()[:5] == b"%PDF-"


def test_cli_rejects_unknown_names(tmp_path):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--out", str(tmp_path), "--only", "nope"])
    assert exc.value.code == 2


def test_progress_bar_reports_each_step():
    buf = io.StringIO()
    bar = cli.ProgressBar(3, stream=buf, width=6)
    for name in ("a", "b", "c"):
        bar.begin(name)
        bar.advance(name, 0.1)
    lines = buf.getvalue().splitlines()
    assert len(lines) == 3  # not a terminal: one line per finished figure
    assert lines[0].startswith("[##----] 1/3") and lines[-1].startswith("[######] 3/3")
