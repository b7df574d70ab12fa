r"""The registry of maps: what every part of the project needs to know about a map.

Each regularizer family declares one :class:`MapEntry`, beside its class, with the
:func:`register` class decorator.  The entry says where its pieces are: the public
function, the instances the tests, the verifier and the figures iterate over, the
program of the independent slow path, the oracle family, the parameter domain for
property-based tests, the events of the regularization path, the independent reference
that tests and the verifier compare with, and the figure colours.  What the library
computes with -- ``argmax``, ``Omega``, ``Omega*``, the loss, the Jacobian, the margin and
the hooks of :class:`~hfy_reference.HopfieldNetwork` (``structure_size``,
``max_pairwise_bonus``, ``map_with_bonus``, ``map_products``, ``step_products``,
``conjugate_from_map``) -- are methods of the class itself, with defaults on
:class:`~hfy_reference.Regularizer`.

Everything that used to be a hand-written list of maps is built from here:

* :data:`hfy_reference.REGULARIZERS` (the named instances, :attr:`MapEntry.named`);
* :mod:`hfy_reference.slow` (:func:`slow_solve`, and :attr:`MapEntry.slow_program` for
  a family the slow path does not have);
* :mod:`hfy_reference.testing` (the oracle family of a regularizer,
  :attr:`MapEntry.oracle`);
* :func:`hfy_reference.theory.path_events` (:attr:`MapEntry.path_events`);
* ``proofs_check`` (its maps: :attr:`MapEntry.examples` with a verifier reference);
* ``figures`` (:func:`map_colors`);
* the tests' parametrisations (:func:`examples`).

The maths stays independent: the slow path solves its own convex program (written from
the definition of ``Omega``), the references of the tests and of the verifier are written
from the definitions; only the *lists* live here.  See ``docs/adding_a_map.md``.

Hooks may be given as callables or as ``"module:attribute"`` strings, resolved on first
use (so that declaring an entry imports nothing heavy).  A hook that does not apply is
declared as :class:`NotProvided` with the reason; the completeness test
(``tests/test_registry.py``) fails on a hook that is simply missing.

This module imports nothing from the rest of the package (the slow path reads it and
must stay independent of the fast maps).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

__all__ = [
    "MapEntry",
    "MapReference",
    "SlowProgram",
    "NotProvided",
    "register",
    "unregister",
    "entries",
    "entry",
    "entry_for",
    "examples",
    "named",
    "map_colors",
    "slow_solve",
    "slow_programs",
    "resolve",
    "REGULARIZERS",
]


@dataclass(frozen=True)
class NotProvided:
    """A hook that does not apply to a family, with the reason (shown by the
    completeness test and in the docs)."""

    reason: str

    def __bool__(self) -> bool:
        return False


Hook = Any  # a callable, a "module:attribute" string, NotProvided or None (missing)


@dataclass(frozen=True)
class SlowProgram:
    r"""A convex program for :func:`hfy_reference.slow.solve`, for a family the slow path
    does not have built in.

    ``factory(params, n)`` returns an object ``omega`` with the methods the slow path's
    smooth solver uses, written from the definition of ``Omega``: ``value(p)`` (a float),
    ``grad(p)``, ``grad_kkt(p)`` (the gradient, up to an additive constant) and
    ``inv_hess(p)`` (the inverse of the diagonal Hessian, for separable ``Omega``; set
    ``dense = True`` and give ``hess(p)`` otherwise).  The domain is
    :math:`\{0 \le p \le u, \sum_i p_i = T\}` with ``T = total(params)`` and
    ``u = upper(params, n)`` (default: the simplex, ``T = 1``, ``u = inf``).
    """

    params: tuple[str, ...]
    factory: Callable[[dict, int], Any]
    total: Callable[[dict], float] = field(default=lambda params: 1.0)
    upper: Callable[[dict, int], Any] | None = None


@dataclass(frozen=True)
class MapReference:
    r"""An independent description of a map's ``Omega`` for tests and the verifier, for a
    family that the verifier does not model itself.

    ``omega(reg, p)`` returns ``(Omega(p), scale)`` by the formula (``scale`` bounds the
    size of the summed terms: the scale of the rounding error); ``margin(reg)`` the exact
    margin (a :class:`fractions.Fraction`, or ``None`` when there is none);
    ``sigma(reg)`` a strong-convexity modulus of ``Omega`` on the simplex w.r.t. the
    2-norm (``None`` when none is known); ``formula(reg)`` the formula in words.
    The domain is the simplex.
    """

    omega: Callable[[Any, Any], tuple[float, float]]
    margin: Callable[[Any], Fraction | None]
    sigma: Callable[[Any], float | None] = field(default=lambda reg: None)
    formula: Callable[[Any], str] = field(default=lambda reg: "")


@dataclass(frozen=True)
class MapEntry:
    """What the project needs to know about one family of maps.

    Attributes
    ----------
    name : str
        The family's name (unique), e.g. ``"entmax"``.
    cls : type
        The :class:`~hfy_reference.Regularizer` subclass.
    params : callable (reg) -> dict
        The parameters of an instance, as the public function and the slow path take
        them (e.g. ``{"alpha": 1.5}``).
    function : hook
        The public map, called as ``function(z, **params(reg))``; it equals
        ``reg.argmax(z)`` (tested).
    examples : tuple of instances
        The instances every generic test, the verifier and the figures iterate over.
    named : tuple of instances
        The instances listed (by their label) in :data:`REGULARIZERS`.
    slow : hook, (reg) -> (family, params)
        The program of the independent slow path, as arguments of
        :func:`hfy_reference.slow.solve`.
    slow_program : SlowProgram, optional
        The program itself, for a family the slow path does not have built in.
    oracle : hook, (reg) -> (family, params)
        The oracle's map family (:func:`hfy_reference.testing.check_backend`).
    strategy : hook, () -> hypothesis strategy of instances
        The parameter domain, for property-based tests.
    path_events : hook, (sorted finite z, reg) -> list of (T, rank, kind)
        The exact events of the regularization path ``T -> argmax(z / T)`` (see
        :func:`hfy_reference.theory.path_events`), before the ``(0, t_max]`` cut.
    reference : str or MapReference
        The independent reference tests and the verifier compare with: the name of a
        family they model (``"shannon"``, ``"tsallis"``, ``"norm"``, ``"ksubsets"``,
        ``"sequential_ksubsets"``), or a :class:`MapReference` for a new family.
    verifier : bool or NotProvided
        Whether ``proofs_check``'s generic per-map claims (FY properties, margins, the
        Hopfield theorems T4-T6) iterate over :attr:`examples`.
    colors : dict
        Figure colours keyed by ``Regularizer.label`` (:func:`map_colors`).
    key : callable (reg) -> str, optional
        The short name used in claim ids and tables (default ``reg.label``).
    """

    name: str
    cls: type
    params: Callable[[Any], dict]
    function: Hook = None
    examples: tuple = ()
    named: tuple = ()
    slow: Hook = None
    slow_program: SlowProgram | None = None
    oracle: Hook = None
    strategy: Hook = None
    path_events: Hook = None
    reference: str | MapReference | None = None
    verifier: bool | NotProvided = True
    colors: dict = field(default_factory=dict)
    key: Callable[[Any], str] | None = None

    def hook(self, name: str) -> Callable:
        """The hook ``name`` as a callable; ``NotImplementedError`` with the declared
        reason when it does not apply, ``LookupError`` when it is missing."""
        value = getattr(self, name)
        if isinstance(value, NotProvided):
            raise NotImplementedError(f"{self.name}: {name} does not apply ({value.reason})")
        if value is None:
            raise LookupError(f"the registry entry {self.name!r} declares no {name}")
        return resolve(value)

    def short_name(self, reg) -> str:
        return self.key(reg) if self.key is not None else reg.label


#: The named regularizers (label -> instance), iterated over by CLIs, figures and the
#: verifier: :attr:`MapEntry.named` of every entry, in registration order.
REGULARIZERS: dict[str, Any] = {}

_ENTRIES: dict[str, MapEntry] = {}
_BY_CLASS: dict[type, MapEntry] = {}


def resolve(hook):
    """A hook as a callable: ``"package.module:attr"`` strings are imported."""
    if isinstance(hook, str):
        mod, _, attr = hook.partition(":")
        obj = importlib.import_module(mod)
        for part in attr.split("."):
            obj = getattr(obj, part)
        return obj
    return hook


def register(**fields) -> Callable[[type], type]:
    """Class decorator: declare the :class:`MapEntry` of a regularizer class.

    ``examples`` and ``named`` may be given as callables returning the instances (the
    class is not defined yet when the decorator's arguments are evaluated)::

        @register(name="toy", params=lambda r: {"c": r.c},
                  examples=lambda cls: (cls(1.0),), ...)
        @dataclass(frozen=True)
        class Toy(Regularizer): ...
    """

    def deco(cls: type) -> type:
        f = dict(fields)
        for name in ("examples", "named"):
            v = f.get(name, ())
            f[name] = tuple(v(cls) if callable(v) else v)
        e = MapEntry(cls=cls, **f)
        if e.name in _ENTRIES and _ENTRIES[e.name].cls is not cls:
            raise ValueError(f"a map named {e.name!r} is already registered "
                             f"({_ENTRIES[e.name].cls.__name__})")
        _ENTRIES[e.name] = e
        _BY_CLASS[cls] = e
        for r in e.named:
            REGULARIZERS[r.label] = r
        cls.registry_entry = e  # type: ignore[attr-defined]
        return cls

    return deco


def unregister(name: str) -> None:
    """Remove an entry (for tests that register a map at run time)."""
    e = _ENTRIES.pop(name)
    _BY_CLASS.pop(e.cls, None)
    if vars(e.cls).get("registry_entry") is e:
        del e.cls.registry_entry
    for r in e.named:
        if REGULARIZERS.get(r.label) == r:
            del REGULARIZERS[r.label]


def _load() -> None:
    # the built-in entries are declared in these modules
    importlib.import_module("hfy_reference.regularizers")
    importlib.import_module("hfy_reference.structured")


def entries() -> list[MapEntry]:
    """Every registered entry, in registration order."""
    _load()
    return list(_ENTRIES.values())


def entry(name: str) -> MapEntry:
    """The entry named ``name``."""
    _load()
    try:
        return _ENTRIES[name]
    except KeyError:
        raise ValueError(f"no map named {name!r} is registered; registered: "
                         f"{', '.join(_ENTRIES)}") from None


def entry_for(reg) -> MapEntry:
    """The entry of a regularizer instance (or class), by its class or nearest base."""
    _load()
    cls = reg if isinstance(reg, type) else type(reg)
    for c in cls.__mro__:
        if c in _BY_CLASS:
            return _BY_CLASS[c]
    raise LookupError(f"{cls.__name__} is not registered (declare it with "
                      "hfy_reference.registry.register)")


def examples(where: str | None = None) -> list:
    """The example instances of every entry (``where="verifier"``: of the entries the
    verifier's generic claims iterate over)."""
    out = []
    for e in entries():
        if where == "verifier" and not e.verifier:
            continue
        out += list(e.examples)
    return out


def named() -> dict:
    """:data:`REGULARIZERS` (label -> instance)."""
    _load()
    return dict(REGULARIZERS)


def map_colors() -> dict[str, str]:
    """Figure colours of every entry, keyed by ``Regularizer.label``."""
    out: dict[str, str] = {}
    for e in entries():
        out.update(e.colors)
    return out


def slow_programs() -> dict[str, SlowProgram]:
    """The programs declared by entries for families the slow path has not built in."""
    return {e.name: e.slow_program for e in _ENTRIES.values() if e.slow_program is not None}


def slow_solve(reg, z):
    """The independent slow-path solution of ``reg``'s program at the scores ``z``
    (1-D): :func:`hfy_reference.slow.solve` with the entry's :attr:`MapEntry.slow`."""
    from . import slow

    which, params = entry_for(reg).hook("slow")(reg)
    return slow.solve(z, which, **params)


def iter_hooks(e: MapEntry) -> Iterator[tuple[str, Any]]:
    """``(name, value)`` of the hooks the completeness test requires of every entry."""
    for name in ("function", "slow", "oracle", "strategy", "path_events", "reference"):
        yield name, getattr(e, name)
