"""One matplotlib style for every figure: fonts, sizes, and one colour per map.

Every figure function draws inside :func:`context`, which applies :data:`RC` only for
the duration of the call (the caller's global ``rcParams`` are left alone).  Figures are
built as bare :class:`matplotlib.figure.Figure` objects (no pyplot state).

Sizes follow a two-column paper: :data:`COLUMN` (one column) and :data:`FULL` (the
text width) in inches, with 8 pt text so that labels stay readable when a figure is
printed at its natural size.

Colours are keyed by the regularizer's ``label`` (``Regularizer.label``), so that a map
has the same colour in every figure; each map declares its colours in its registry
entry (:mod:`hfy_reference.registry`).  The palette is Okabe & Ito's colour-blind safe
set, extended with Paul Tol's muted colours for the less common maps.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterator

import matplotlib as mpl
from matplotlib.figure import Figure

from hfy_reference import registry as _registry

__all__ = [
    "COLUMN",
    "FULL",
    "RC",
    "MAP_COLORS",
    "PATTERN_COLORS",
    "COORD_ANCHORS",
    "coord_colors",
    "context",
    "new_figure",
    "map_color",
    "panel_label",
]

#: Width of one column and of the full text, in inches.
COLUMN = 3.4
FULL = 7.0

RC: dict[str, object] = {
    # a concrete family (not "serif"): text is resolved to a font file at draw time,
    # possibly outside :func:`context`
    "font.family": ["STIXGeneral", "DejaVu Serif"],
    "mathtext.fontset": "stix",
    "font.size": 8.0,
    "axes.titlesize": 8.5,
    "axes.labelsize": 8.0,
    "xtick.labelsize": 7.0,
    "ytick.labelsize": 7.0,
    "legend.fontsize": 7.0,
    "legend.title_fontsize": 7.5,
    "figure.titlesize": 9.5,
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlepad": 4.0,
    "axes.labelpad": 2.0,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.minor.width": 0.4,
    "ytick.minor.width": 0.4,
    "xtick.major.size": 2.8,
    "ytick.major.size": 2.8,
    "xtick.minor.size": 1.6,
    "ytick.minor.size": 1.6,
    "xtick.direction": "out",
    "ytick.direction": "out",
    "xtick.major.pad": 2.0,
    "ytick.major.pad": 2.0,
    "lines.linewidth": 1.3,
    "lines.markersize": 3.5,
    "legend.frameon": False,
    "legend.handlelength": 1.8,
    "legend.borderaxespad": 0.3,
    "legend.labelspacing": 0.3,
    "legend.columnspacing": 1.0,
    "grid.linewidth": 0.4,
    "grid.alpha": 0.35,
    "image.cmap": "viridis",
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.02,
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
}

#: One colour per map, keyed by ``Regularizer.label``: declared by each map's registry
#: entry (``MapEntry.colors``, :mod:`hfy_reference.registry`).
MAP_COLORS: dict[str, str] = _registry.map_colors()
_RESERVE = ["#999933", "#AA4499", "#117733", "#6699CC", "#661100", "#888888"]

#: Colours of the stored patterns in the 2-D Hopfield figures (basin fills): Paul Tol's
#: light scheme, kept apart from the saturated map colours so that a basin is never
#: read as a map.
PATTERN_COLORS = ["#77AADD", "#EE8866", "#EEDD88", "#44BB99", "#FFAABB", "#BBCC33",
                  "#99DDFF", "#AAAA00"]

#: Ordered colours for the coordinates of one output, largest score first
#: (regularization path); :func:`coord_colors` interpolates them for any ``n``.
COORD_ANCHORS = ["#1d2b6b", "#7a2a8c", "#d1386b", "#ee8434", "#b8a300"]


def coord_colors(n: int) -> list:
    """``n`` ordered, distinguishable colours (dark blue to ochre) for coordinates."""
    from matplotlib.colors import LinearSegmentedColormap

    cmap = LinearSegmentedColormap.from_list("coords", COORD_ANCHORS)
    return [cmap(i / max(n - 1, 1)) for i in range(n)]


def map_color(reg_or_label) -> str:
    """The colour of a map, from a :class:`~hfy_reference.Regularizer` or its label.

    A label with a parenthesized suffix (``"sequential 2-subsets (w=0.5)"``) takes the
    colour of its stem.  Other labels not in :data:`MAP_COLORS` get a colour from a
    reserve list, chosen from a checksum of the label (the same in every run and every
    figure).
    """
    label = reg_or_label if isinstance(reg_or_label, str) else reg_or_label.label
    colors = MAP_COLORS | _registry.map_colors()  # maps registered since the import too
    if label in colors:
        return colors[label]
    base = label.split(" (")[0]  # e.g. "sequential 2-subsets (w=0.5)"
    if base in colors:
        return colors[base]
    return _RESERVE[zlib.crc32(label.encode()) % len(_RESERVE)]


@contextlib.contextmanager
def context() -> Iterator[None]:
    """Apply :data:`RC` for the duration of a ``with`` block."""
    with mpl.rc_context(RC):
        yield


def new_figure(width: float = FULL, height: float = 2.4, **kwargs) -> Figure:
    """A bare :class:`~matplotlib.figure.Figure` (no pyplot) with constrained layout."""
    kwargs.setdefault("layout", "constrained")
    fig = Figure(figsize=(width, height), **kwargs)
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        engine.set(w_pad=0.02, h_pad=0.02, wspace=0.02, hspace=0.03)
    return fig


def panel_label(ax, text: str) -> None:
    """A bold panel tag such as ``(a)`` in the upper-left corner, outside the axes."""
    ax.text(-0.02, 1.02, text, transform=ax.transAxes, ha="right", va="bottom",
            fontweight="bold", fontsize=mpl.rcParams["axes.titlesize"])
