"""Tests of the figures package: every figure renders on small settings with labelled
axes and a legend, the regularization path plots the library's maps, its marks sit
exactly where the support changes, and the CLI writes the files.

Expected values come from the library's maps called here (or from the SPEC's closed
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

matplotlib.use("Agg")  # no pyplot is imported: figures are bare Figure objects


def _render(fig: Figure) -> None:
    """Draw with Agg: mathtext and layout errors only show up at draw time."""
    FigureCanvasAgg(fig).draw()


def _data_axes(fig: Figure):
    """Axes that show data (not the ones turned off to hold a legend)."""
    return [ax for ax in fig.axes if ax.axison]


def _quick(name: str) -> Figure:
    try:
        fn = figures.get(name)
    except ImportError as exc:  # a library module this figure needs has not landed
        pytest.skip(f"{name}: {exc}")
    return fn(**figures.QUICK[name])


# ---- every figure -----------------------------------------------------------------
@pytest.mark.parametrize("name", figures.NAMES)
def test_figure_renders_with_labels_and_legend(name):
    fig = _quick(name)
    assert isinstance(fig, Figure)
    _render(fig)
    axes = _data_axes(fig)
    assert axes, "no axes with data"
    for ax in axes:
        has_data = ax.lines or ax.collections or ax.images or ax.patches
        assert has_data, f"{name}: empty axes {ax.get_title()!r}"
        if ax.get_xlabel() or ax.get_ylabel():
            continue
        # a panel without axis labels must share both axes' meaning with a labelled
        # panel of the same figure (e.g. the simplex triangles drawn without axes)
        assert not ax.xaxis.get_visible() or not ax.get_xticklabels() or ax.get_title(), \
            f"{name}: axes without labels or title"
    assert any(ax.get_xlabel() for ax in axes), f"{name}: no x label"
    assert any(ax.get_ylabel() for ax in axes), f"{name}: no y label"
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend()] + list(fig.legends)
    assert legends, f"{name}: no legend"
    assert all(len(leg.get_texts()) > 0 for leg in legends)
    titled = [ax.get_title() for ax in axes if ax.get_title()]
    assert titled or fig._suptitle is not None, f"{name}: no title"


def test_unknown_figure_name():
    with pytest.raises(ValueError, match="unknown figure"):
        figures.get("nope")


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
