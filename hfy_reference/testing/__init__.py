r"""The oracle: test a fast PyTorch/JAX/Triton backend against the exact maps.

:func:`check_backend` runs a backend on an adversarial case suite -- exact ties,
``-inf`` masks, a single finite entry, scales from 1e-310 to 1e300 (float64; 1e-40 to
1e30 in float32), large exact shifts, scores a few ulps above and below every support
threshold and margin, N from 1 to 10^5, batches whose rows have different supports --
and compares every output with the library's exact answer for the same (rounded)
input::

    import numpy as np, torch
    from entmax import entmax_bisect
    from hfy_reference.testing import check_backend, assert_backend_matches

    def fn(z):  # NumPy in, NumPy out, along the last axis
        return entmax_bisect(torch.from_numpy(z), alpha=1.5).numpy()

    report = check_backend(fn, "entmax", alpha=1.5, dtype=np.float32)
    print(report)                 # a table, one line per case
    assert_backend_matches(fn, "entmax", alpha=1.5)   # AssertionError with a diff

Families (``FAMILIES``): the maps ``softmax``, ``sparsemax``, ``entmax`` (``alpha``),
``normmax`` (``alpha``), ``ksubsets`` (``k``), ``constrained_sparsemax``; their
Fenchel-Young losses ``<map>_loss`` and gradients ``<map>_loss_grad`` (``target=
"distribution"`` or ``"index"``); Jacobian products ``<map>_jvp`` and ``<map>_vjp``;
``hopfield_step``; and ``registered`` (``reg=``: the map of any regularizer of
:mod:`hfy_reference.registry`, with a generic tolerance model).  The signature ``fn``
must have for each is in
:func:`check_backend`.  Learnable α (one α per row, ``dp/dalpha`` and its VJP, dense
entmax with ``alpha < 1``) has its own suite: :func:`check_alpha_backend` with the
families ``ALPHA_FAMILIES``.

One's own inputs: :func:`reference` returns the exact answer and the tolerances for
any input (``(..., N)``, the problems along the last axis); :func:`check_inputs` and
:func:`assert_matches` judge a backend on it (e.g. inside a hypothesis test with
:func:`strategies.scores`).  :func:`from_torch` and :func:`from_jax` wrap torch and JAX
functions; :mod:`.pytest_plugin` puts the suite into a backend's pytest run;
``python -m hfy_reference.testing`` is the command line (``findings`` regenerates
``docs/findings.md``).

Tolerances (``eps`` = the compute dtype's machine epsilon).  A case passes when the
output is what a *backward-stable* algorithm in that dtype could produce: the exact
answer for scores whose shifted values ``z_i - max z`` are perturbed by at most
``K eps |z_i - max z|``, each output entry then rounded by at most ``K eps``, with
``K = 4 max(1 + ceil(log2 N), ceil(sqrt N))``: a handful of roundings per elementary
step, times the growth of a reduction over ``N`` entries (pairwise: ``log2 N``;
blocked and, with independent rounding errors, sequential: ``sqrt N``).  Per entry
``|got - p| <= K eps |p| + (|J| K eps |z - max z|)_i + tiny`` (``J`` the exact
Jacobian); entries within the perturbation of the support threshold (the *rounding
zone*) may take any value up to the map's value at that distance; outside it, entries
that are exactly 0 must be exactly 0; row sums within the sum of the entries'
tolerances of their target (the sum check never contradicts the entries).  Cases
whose score differences overflow form the *overflow class*, shown apart.  Losses,
gradients, Jacobian products and low-precision output dtypes follow from the same
model (see ``docs/testing.md`` and :mod:`._oracle`).

Nothing here imports hypothesis; :mod:`hfy_reference.testing.strategies` does.
"""

from __future__ import annotations

from ._adapters import from_jax, from_torch
from ._alpha import ALPHA_FAMILIES, assert_alpha_backend_matches, check_alpha_backend
from ._harness import assert_backend_matches, check_backend
from ._inputs import Reference, assert_matches, check_inputs, reference
from ._oracle import K0, K_for, family_names
from ._report import BackendReport, CaseResult
from ._suite import Case

#: Every family name accepted by :func:`check_backend`.
FAMILIES: tuple = tuple(family_names())

__all__ = [
    "check_backend",
    "assert_backend_matches",
    "cases",
    "reference",
    "check_inputs",
    "assert_matches",
    "Reference",
    "from_torch",
    "from_jax",
    "BackendReport",
    "CaseResult",
    "Case",
    "FAMILIES",
    "K0",
    "K_for",
    "check_alpha_backend",
    "assert_alpha_backend_matches",
    "ALPHA_FAMILIES",
]


def cases(family: str, *, dtype=None, **params) -> list:
    """The suite's :class:`Case` objects for a family (inputs only, rounded to
    ``dtype``; default float64), e.g. to run a backend in one's own loop."""
    import numpy as np

    from . import _build, _oracle
    from . import _harness as H

    dt = H._check_dtype(np.float64 if dtype is None else dtype)
    if family == "hopfield_step":
        from . import _hopfield

        if dt.name not in ("float64", "float32"):
            raise ValueError(f"hopfield_step is judged in float64 or float32 only; got {dt}")
        return [p.case for p in _hopfield.suite(params, dt)[1]]
    if family == "registered":
        from . import _registered

        return [p.case for p in _registered.suite(params, dt)[1]]
    fam = _oracle.parse_family(family, params)
    return [p.case for p in _build.build_suite(fam, _oracle.parse_precision(dt))]
