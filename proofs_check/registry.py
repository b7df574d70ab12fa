"""Claims: a statement, how to make instances of its assumptions, how to check its conclusion.

A :class:`Claim` is one machine-checkable statement about the library, for one map (or
one post-transformation, or one network).  The runner (:mod:`proofs_check.runner`) draws
``n`` instances from :attr:`Claim.generate` -- each satisfies the assumptions *by
construction* --, evaluates :attr:`Claim.check` on each, and calls
:attr:`Claim.boundary` once to probe just outside the assumptions.

Checks report :class:`Cond` values: a named condition with a *slack* and a *tolerance*,
in a unit the claim states.  A condition holds iff ``slack >= -tol``: ``slack > 0``
means it holds with room to spare, ``-tol <= slack < 0`` that it holds within the
rounding allowed by the tolerance, ``slack < -tol`` (or NaN) that it fails.

What the claims check is a :class:`Subject`: the library's regularizers (as
:class:`MapSpec`) and modules.  Tests build a subject with a deliberately broken part
(a wrong margin, a shifted threshold, a dropped energy constant, a wrong post map) and
assert that the claims that depend on it come out ``refuted``.
"""

from __future__ import annotations

import importlib
import math
import types
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

EPS = float(np.finfo(np.float64).eps)

KINDS = ("theorem", "published")
METHODS = ("exact", "sampled", "Monte Carlo")


# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cond:
    """One checked condition: holds iff ``slack >= -tol`` (NaN never holds)."""

    name: str
    slack: float
    tol: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.slack >= -self.tol)  # False for NaN

    @property
    def ratio(self) -> float:
        """``slack / tol`` (how many tolerances of room; ``-inf`` .. ``+inf``)."""
        if math.isnan(self.slack):
            return -math.inf
        if self.tol > 0:
            return self.slack / self.tol
        return math.inf if self.slack > 0 else (0.0 if self.slack == 0 else -math.inf)


class Checks:
    """Collects :class:`Cond` values and, for a counterexample, the values behind them."""

    def __init__(self) -> None:
        self.conds: list[Cond] = []
        self.values: dict[str, Any] = {}
        self.metrics: dict[str, float] = {}

    # holds iff a <= b + tol
    def leq(self, name: str, a: float, b: float, tol: float = 0.0) -> bool:
        c = Cond(name, float(b) - float(a), float(tol))
        self.conds.append(c)
        return c.ok

    def geq(self, name: str, a: float, b: float, tol: float = 0.0) -> bool:
        return self.leq(name, b, a, tol)

    def close(self, name: str, a, b, tol: float) -> bool:
        """``max |a - b| <= tol`` (slack ``-max|a - b|``)."""
        a = np.asarray(a, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64)
        if b.ndim == 0:
            b = np.broadcast_to(b, a.shape)
        if a.shape != b.shape:
            c = Cond(name + " (shape)", -math.inf, 0.0)
            self.conds.append(c)
            return False
        with np.errstate(invalid="ignore", over="ignore"):
            err = float(np.max(np.abs(a - b))) if a.size else 0.0
        c = Cond(name, -err, float(tol))
        self.conds.append(c)
        return c.ok

    def true(self, name: str, value: bool) -> bool:
        """A yes/no condition (slack ``+1`` if true, ``-1`` if false, tolerance 0)."""
        c = Cond(name, 1.0 if value else -1.0, 0.0)
        self.conds.append(c)
        return c.ok

    def note(self, **values: Any) -> None:
        """Values shown in a counterexample (arrays, scalars)."""
        self.values.update(values)

    def metric(self, **values: float) -> None:
        """Per-instance measurements aggregated over instances (min/median/max)."""
        self.metrics.update({k: float(v) for k, v in values.items()})

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.conds)


# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MapSpec:
    """A map under test and what math §1 says about it (independent of the library).

    ``reg`` is the library object (or an injected broken one); ``family``, ``alpha``,
    ``k`` and ``margin`` are the contract's description, from which the claims compute their
    expected values.
    """

    name: str
    reg: Any
    family: str  # "shannon" | "tsallis" | "norm" | "ksubsets" | "custom"
    alpha: float | None = None
    k: int | None = None
    #: for ``family == "custom"``: the map's own independent description (a
    #: :class:`hfy_reference.registry.MapReference`), declared in its registry entry
    ref: Any = None

    @property
    def margin(self) -> float | None:
        """The contract's margin: 1/(α−1) (entmax), 1 (normmax, k-subsets), none (softmax)."""
        if self.family == "shannon":
            return None
        if self.family == "tsallis":
            return 0.0 if math.isinf(self.alpha) else 1.0 / (self.alpha - 1.0)
        if self.family == "custom":
            m = self.ref.margin(self.reg)
            return None if m is None else float(m)
        return 1.0

    @property
    def total(self) -> float:
        """Mass of a point of the domain: 1 on the simplex, k on the capped simplex."""
        return float(self.k) if self.family == "ksubsets" else 1.0

    @property
    def sigma(self) -> float | None:
        """A strong-convexity modulus of Ω on its domain w.r.t. ‖·‖₂, when one is known:
        1 for Shannon (Pinsker), Tsallis α ≤ 2 (Hessian diag(p^(α−2)) ⪰ I on [0,1]) and
        k-subsets (½‖μ‖²); None otherwise."""
        if self.family in ("shannon", "ksubsets"):
            return 1.0
        if self.family == "tsallis" and self.alpha <= 2.0:
            return 1.0
        if self.family == "custom":
            return self.ref.sigma(self.reg)
        return None

    def omega_spec(self, p: np.ndarray) -> tuple[float, float]:
        """Ω(p) by the math §1 formula, and a bound on the size of the summed terms (the
        scale of its rounding error)."""
        p = np.asarray(p, dtype=np.float64)
        if self.family == "shannon":
            pos = p[p > 0]
            terms = pos * np.log(pos)
            return float(np.sum(terms)), float(np.sum(np.abs(terms)))
        if self.family == "tsallis":
            a = self.alpha
            if math.isinf(a):
                return 0.0, 0.0
            s = float(np.sum(p**a))
            c = a * (a - 1.0)
            return (s - 1.0) / c, (s + 1.0) / c
        if self.family == "norm":
            a = self.alpha
            if math.isinf(a):
                return float(np.max(p)) - 1.0, 2.0
            nrm = float(np.sum(p**a)) ** (1.0 / a)
            return nrm - 1.0, nrm + 1.0
        if self.family == "ksubsets":
            s = 0.5 * float(np.dot(p, p))
            return s - 0.5 * self.k, s + 0.5 * self.k
        if self.family == "custom":
            v, scale = self.ref.omega(self.reg, p)
            return float(v), float(scale)
        raise ValueError(self.family)

    def with_reg(self, reg: Any) -> MapSpec:
        return replace(self, reg=reg)


#: the families whose contract description (margin, Ω, domain) the verifier writes itself
FAMILIES = ("shannon", "tsallis", "norm", "ksubsets")


def spec_of(reg: Any, name: str | None = None) -> MapSpec:
    """The :class:`MapSpec` of a library regularizer, from its registry entry: the
    entry's ``reference`` names one of :data:`FAMILIES`, or is the map's own
    independent description (``family = "custom"``)."""
    from hfy_reference import registry

    e = registry.entry_for(reg)
    prm = e.params(reg)
    alpha = prm.get("alpha")
    k = prm.get("k")
    name = e.short_name(reg) if name is None else name
    if isinstance(e.reference, registry.MapReference):
        return MapSpec(name, reg, "custom", alpha, k, ref=e.reference)
    if e.reference not in FAMILIES:
        raise ValueError(f"the verifier does not model the family {e.reference!r}")
    return MapSpec(name, reg, e.reference, None if alpha is None else float(alpha),
                   None if k is None else int(k))


def default_maps() -> dict[str, MapSpec]:
    """The maps every claim iterates over: the ``examples`` of every registry entry that
    declares the verifier's generic claims (softmax, 1.5-entmax, sparsemax, 3-entmax --
    margin 1/2, the case where ``1/m`` exceeds ``m`` --, 2-normmax, 5-normmax,
    SparseMAP 2-subsets)."""
    from hfy_reference import registry

    maps = {}
    for reg in registry.examples("verifier"):
        spec = spec_of(reg)
        maps[spec.name] = spec
    return maps


def _optional(module: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


@dataclass
class Subject:
    """What is checked: the maps and the library modules the claims call.

    ``hopfield``, ``theory`` and ``structured`` are modules (or namespaces with the same
    names, for negative controls); ``None`` when not available, and the claims that need
    them are then reported as ``skipped``.
    """

    maps: dict[str, MapSpec] = field(default_factory=default_maps)
    hopfield: Any = None
    theory: Any = None
    structured: Any = None
    continuous: Any = None

    @classmethod
    def default(cls) -> Subject:
        return cls(
            maps=default_maps(),
            hopfield=_optional("hfy_reference.hopfield"),
            theory=_optional("hfy_reference.theory"),
            structured=_optional("hfy_reference.structured"),
            continuous=_optional("hfy_reference.continuous"),
        )

    def available(self, requires: tuple[str, ...]) -> list[str]:
        """The required modules that are missing (or lack a required attribute):
        ``requires`` items are ``"module"`` or ``"module.attr"``."""
        missing = []
        for r in requires:
            mod, _, attr = r.partition(".")
            obj = getattr(self, mod)
            if obj is None or (attr and not hasattr(obj, attr)):
                missing.append(r)
        return missing


def patched_module(module: Any, **overrides: Any) -> types.SimpleNamespace:
    """A namespace with every public attribute of ``module``, some replaced (for
    negative controls: a broken ``HopfieldNetwork`` in an otherwise real module)."""
    ns = types.SimpleNamespace(**{k: getattr(module, k) for k in dir(module)
                                  if not k.startswith("__")})
    for k, v in overrides.items():
        setattr(ns, k, v)
    return ns


# ---------------------------------------------------------------------------------------
Generator = Callable[[np.random.Generator, int], dict]
Checker = Callable[[dict], Checks]
Boundary = Callable[[np.random.Generator, bool], dict]


@dataclass
class Claim:
    """One statement, checked by instances and probed at its boundary.

    Attributes
    ----------
    id : str
        ``T<n>.<part>[<map>]``; published statements (as printed in the seed slides) use
        ``.slides`` in the part.
    theorem : str
        ``"T1"`` .. ``"T11"`` (math §6).
    title : str
        A few words for the table.
    statement : str
        The statement in words.
    formula : str
        The statement as a formula (assumptions ⇒ conclusion).
    source : str
        Where it is stated (math § section, paper, slide).
    kind : {"theorem", "published"}
        ``theorem``: what the library asserts (a refutation fails the run);
        ``published``: a statement as printed (a refutation is an erratum).
    tolerance : str
        What "equal"/"≥" means numerically, and why.
    generate : callable (rng, index) -> dict
        An instance satisfying the assumptions by construction (``index`` 0, 1, ... lets
        the first instances be the smallest).
    check : callable (instance) -> Checks
        The conclusion, evaluated with the library.
    boundary : callable (rng, quick) -> dict, optional
        A search just outside the assumptions; returns at least ``status`` (``"fails
        outside"``, ``"holds outside"`` or ``"n/a"``) and what it measured.  When
        ``boundary_decides`` is true, a result with ``"refutes": true`` refutes the claim
        (used when the statement is an "iff" whose "only if" is probed there).
    n : (int, int)
        Number of instances in ``--quick`` and full runs.
    requires : tuple of str
        Library modules the claim needs (``"hopfield"``, ``"theory"``, ``"structured"``,
        optionally ``"module.attr"``).
    map : str, optional
        The map (or post-transformation / network) the claim is about.
    study : callable (rng, quick) -> dict, optional
        An extra measurement reported with the claim (the capacity table of T7); it
        may also return ``"refutes": true`` with a ``"counterexample"``, and a
        ``"design"`` dict (``trials``, ``level``, ``power``, ``alternative``) when it is
        a statistical test.
    method : str, optional
        How the conclusion is decided, one of :data:`METHODS` (default ``"sampled"``):
        ``"exact"`` -- every decision is compared with an exact rational computation
        (both sides of a threshold); ``"sampled"`` -- sampled instances checked to a
        stated rounding tolerance; ``"Monte Carlo"`` -- a statistical test (its
        trials, level and power are reported).
    design : dict, optional
        For a claim whose instances are statistical tests: ``trials`` (per instance),
        ``level`` (per instance), ``power`` and ``alternative`` (in words or a number).
    """

    id: str
    theorem: str
    title: str
    statement: str
    formula: str
    source: str
    kind: str
    tolerance: str
    generate: Generator
    check: Checker
    boundary: Boundary | None = None
    boundary_decides: bool = False
    n: tuple[int, int] = (20, 200)
    requires: tuple[str, ...] = ()
    map: str | None = None
    study: Callable[[np.random.Generator, bool], dict] | None = None
    method: str | None = None
    design: dict | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}; got {self.kind!r}")
        if self.method is not None and self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}; got {self.method!r}")

    def describe(self) -> dict:
        return {
            "id": self.id,
            "theorem": self.theorem,
            "title": self.title,
            "kind": self.kind,
            "map": self.map,
            "statement": self.statement,
            "formula": self.formula,
            "source": self.source,
            "tolerance": self.tolerance,
            "requires": list(self.requires),
            "method_kind": self.method or ("Monte Carlo" if self.study else "sampled"),
            "design": self.design,
        }
