"""Wrap a PyTorch function as a NumPy backend for :func:`check_backend`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _kind(family: str) -> str:
    for suffix in ("_loss_grad", "_vjp", "_jvp", "_loss"):
        if family.endswith(suffix):
            return suffix[1:]
    return "map"


def from_torch(fn, family: str, **kwargs):
    """A NumPy-in, NumPy-out backend for ``family`` from a torch function.

    ``fn`` is the *forward* function (a map ``fn(x, **kwargs)``, or for loss
    families a loss ``fn(x, target_or_y, **kwargs)`` returning one value per row);
    gradients (``<map>_loss_grad``) and VJPs (``<map>_vjp``) are taken with
    ``torch.autograd`` through it.  JVP families need forward-mode AD, which this
    adapter does not provide.

    Examples
    --------
    >>> from entmax import entmax_bisect                       # doctest: +SKIP
    >>> check_backend(from_torch(entmax_bisect, "entmax_vjp", alpha=1.5),
    ...               "entmax_vjp", alpha=1.5)                  # doctest: +SKIP
    """
    import torch

    kind = _kind(family)
    if kind == "jvp":
        raise ValueError("from_torch does not provide JVPs (forward mode); wrap "
                         "torch.func.jvp yourself, or check the VJP family instead")
    constrained = family.startswith("constrained_sparsemax")

    def t(a):
        return torch.from_numpy(a)

    backend: Callable[..., Any]
    if kind == "map":
        def backend(*args):
            with torch.no_grad():
                return fn(*map(t, args), **kwargs).detach().numpy()
    elif kind == "loss":
        def backend(z, y):
            with torch.no_grad():
                return fn(t(z), t(y), **kwargs).detach().numpy()
    elif kind == "loss_grad":
        def backend(z, y):
            x = t(z).requires_grad_(True)
            fn(x, t(y), **kwargs).sum().backward()
            return x.grad.detach().numpy()
    else:  # vjp
        def backend(*args):
            x = t(args[0]).requires_grad_(True)
            extra = tuple(map(t, args[1:-1])) if constrained else ()
            fn(x, *extra, **kwargs).backward(t(args[-1]))
            return x.grad.detach().numpy()

    backend.__qualname__ = getattr(fn, "__qualname__", "torch_fn")
    backend.__module__ = getattr(fn, "__module__", None)  # type: ignore[assignment]
    return backend
