"""Wrap a PyTorch or a JAX function as a NumPy backend for :func:`check_backend`.

Both adapters take the *forward* function and derive what the family compares:
the map itself, the loss, its gradient (reverse mode, summed over rows), the JVP
(forward mode) or the VJP (reverse mode).  bfloat16 arrays (``ml_dtypes.bfloat16``)
cross exactly through float32.  torch and jax are imported only when an adapter is
built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def _kind(family: str) -> str:
    for suffix in ("_loss_grad", "_vjp", "_jvp", "_loss"):
        if family.endswith(suffix):
            return suffix[1:]
    return "map"


def _is_bf16(a) -> bool:
    return getattr(getattr(a, "dtype", None), "name", "") == "bfloat16"


def _name(backend, fn, default):
    backend.__qualname__ = getattr(fn, "__qualname__", None) or getattr(
        fn, "__name__", default)
    backend.__module__ = getattr(fn, "__module__", None)
    return backend


def from_torch(fn, family: str, *, device=None, **kwargs):
    """A NumPy-in, NumPy-out backend for ``family`` from a torch function.

    ``fn`` is the *forward* function (a map ``fn(x, **kwargs)``; for constrained
    sparsemax ``fn(x, upper, **kwargs)``; for loss families a loss ``fn(x,
    target_or_y, **kwargs)`` returning one value per row); gradients
    (``<map>_loss_grad``) and VJPs (``<map>_vjp``) are taken with ``torch.autograd``
    through it, JVPs (``<map>_jvp``) with ``torch.func.jvp`` (forward mode: ``fn``
    must support it, e.g. a custom ``autograd.Function`` needs a ``jvp``).

    Parameters
    ----------
    device : str or torch.device, optional
        Where the tensors live (``"cuda"``, ``"cuda:1"``, ``"mps"``...); the inputs
        are copied there and the outputs back.  ``ValueError`` if CUDA is asked for
        and not available.
    **kwargs
        Passed to ``fn``.

    Examples
    --------
    >>> from entmax import entmax_bisect                       # doctest: +SKIP
    >>> check_backend(from_torch(entmax_bisect, "entmax_vjp", alpha=1.5),
    ...               "entmax_vjp", alpha=1.5)                  # doctest: +SKIP
    """
    import torch

    kind = _kind(family)
    dev = None
    if device is not None:
        dev = torch.device(device)
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device={device!r}: CUDA is not available on this machine")
    constrained = family.startswith("constrained_sparsemax")

    def t(a):
        if _is_bf16(a):
            x = torch.from_numpy(np.asarray(a, dtype=np.float32)).to(torch.bfloat16)
        else:
            x = torch.from_numpy(a)
        return x if dev is None else x.to(dev)

    def n(x):
        x = x.detach()
        if x.dtype == torch.bfloat16:
            x = x.float()
        return x.cpu().numpy()

    backend: Callable[..., Any]
    if kind == "map":
        def backend(*args):
            with torch.no_grad():
                return n(fn(*map(t, args), **kwargs))
    elif kind == "loss":
        def backend(z, y):
            with torch.no_grad():
                return n(fn(t(z), t(y), **kwargs))
    elif kind == "loss_grad":
        def backend(z, y):
            x = t(z).requires_grad_(True)
            fn(x, t(y), **kwargs).sum().backward()
            return n(x.grad)
    elif kind == "jvp":
        from torch.func import jvp

        def backend(*args):
            extra = tuple(map(t, args[1:-1])) if constrained else ()
            _, out = jvp(lambda x: fn(x, *extra, **kwargs), (t(args[0]),), (t(args[-1]),))
            return n(out)
    else:  # vjp
        def backend(*args):
            x = t(args[0]).requires_grad_(True)
            extra = tuple(map(t, args[1:-1])) if constrained else ()
            fn(x, *extra, **kwargs).backward(t(args[-1]))
            return n(x.grad)

    return _name(backend, fn, "torch_fn")


def from_jax(fn, family: str, *, jit: bool = True, **kwargs):
    """A NumPy-in, NumPy-out backend for ``family`` from a JAX function.

    As :func:`from_torch`: ``fn`` is the forward function; ``<map>_loss_grad`` uses
    ``jax.grad`` of the summed loss, ``<map>_jvp`` ``jax.jvp`` and ``<map>_vjp``
    ``jax.vjp``.  float64 inputs need ``jax.config.update("jax_enable_x64", True)``
    (otherwise JAX would silently compute in float32; the backend raises instead).
    With ``jit=True`` (the default) what is compared is compiled with ``jax.jit``
    (once per input shape), as a model would run it; ``jit=False`` runs eagerly.
    """
    import jax
    import jax.numpy as jnp

    kind = _kind(family)
    constrained = family.startswith("constrained_sparsemax")

    def j(a):
        a = np.asarray(a)
        if a.dtype == np.float64 and not jax.config.jax_enable_x64:
            raise ValueError("float64 inputs need jax.config.update('jax_enable_x64', True)")
        return jnp.asarray(a)

    def n(x):
        x = np.asarray(x)
        return x.astype(np.float32) if _is_bf16(x) else x

    f: Callable[..., Any]
    if kind == "map":
        def f(*args):
            return fn(*args, **kwargs)
    elif kind == "loss":
        def f(z, y):
            return fn(z, y, **kwargs)
    elif kind == "loss_grad":
        def f(z, y):
            return jax.grad(lambda x: jnp.sum(fn(x, y, **kwargs)))(z)
    elif kind == "jvp":
        def f(*args):
            extra = args[1:-1] if constrained else ()
            return jax.jvp(lambda x: fn(x, *extra, **kwargs), (args[0],), (args[-1],))[1]
    else:  # vjp
        def f(*args):
            extra = args[1:-1] if constrained else ()
            _, back = jax.vjp(lambda x: fn(x, *extra, **kwargs), args[0])
            return back(args[-1])[0]
    g = jax.jit(f) if jit else f

    def backend(*args):
        return n(g(*map(j, args)))

    return _name(backend, fn, "jax_fn")
