"""The oracle as one line in a backend's CI: a pytest plugin.

::

    pytest -p hfy_reference.testing.pytest_plugin \\
        --hfy-backend mypkg.ops:entmax --hfy-family entmax --hfy-alpha 1.5 \\
        --hfy-dtype float64,float32 [--hfy-adapter torch] [--hfy-kw NAME=VALUE]

(or ``pytest_plugins = ["hfy_reference.testing.pytest_plugin"]`` in the repository's
top ``conftest.py`` and the options in ``addopts``).  Every case of the family's
suite becomes a test item, ``hfy::<family>[<dtype>]::<case>``, which fails with the
case's reasons and worst entries; skipped cases are reported as skipped, cases of an
``--hfy-expected-failures`` baseline as xfail.  Without ``--hfy-backend`` the plugin
does nothing.  The backend runs once per dtype (on the first item), so the suite
costs what :func:`~hfy_reference.testing.check_backend` costs.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser):
    g = parser.getgroup("hfy-reference", "check a backend against hfy-reference's oracle")
    g.addoption("--hfy-backend", metavar="MODULE:FUNCTION",
                help="the function to check, e.g. mypkg.ops:entmax")
    g.addoption("--hfy-family", help="what it computes: a family of "
                                     "hfy_reference.testing.FAMILIES")
    g.addoption("--hfy-alpha", type=float, help="alpha (entmax, normmax)")
    g.addoption("--hfy-k", type=int, help="k (ksubsets)")
    g.addoption("--hfy-target", choices=("distribution", "index"), help="loss targets")
    g.addoption("--hfy-dtype", default="float64",
                help="comma-separated input dtypes (float64, float32, float16, bfloat16)")
    g.addoption("--hfy-compute-dtype", help="the dtype the backend computes in")
    g.addoption("--hfy-output-dtype", help="the dtype of the backend's output")
    g.addoption("--hfy-adapter", choices=("numpy", "torch", "jax"), default="numpy",
                help="how the function takes its arrays")
    g.addoption("--hfy-device", help="torch adapter: the device, e.g. cuda")
    g.addoption("--hfy-kw", action="append", default=[], metavar="NAME=VALUE",
                help="keyword argument passed to the backend; repeatable")
    g.addoption("--hfy-tol-scale", type=float, default=1.0,
                help="multiply every tolerance by this factor")
    g.addoption("--hfy-expected-failures", default="",
                help="comma-separated case names expected to fail (a baseline)")


def _setup(config):
    """(backend, family, params, dtypes, options) from the command line; a usage
    error is raised as pytest.UsageError (one line, before anything runs)."""
    from . import FAMILIES
    from . import _harness as H
    from .__main__ import _kwargs, _load, backend_kwargs
    from ._adapters import from_jax, from_torch

    opt = config.getoption
    family = opt("--hfy-family")
    if family is None:
        raise pytest.UsageError("--hfy-backend needs --hfy-family")
    if family not in FAMILIES:
        raise pytest.UsageError(f"--hfy-family: unknown family {family!r}")
    params = {}
    for key, name in (("alpha", "--hfy-alpha"), ("k", "--hfy-k"),
                      ("target", "--hfy-target")):
        if opt(name) is not None:
            params[key] = opt(name)
    try:
        fn = _load(opt("--hfy-backend"))
        kw = backend_kwargs(fn, params, _kwargs(opt("--hfy-kw")))
        if opt("--hfy-adapter") == "torch":
            backend = from_torch(fn, family, device=opt("--hfy-device"), **kw)
        elif opt("--hfy-adapter") == "jax":
            backend = from_jax(fn, family, **kw)
        elif kw:
            def backend(*args):
                return fn(*args, **kw)
        else:
            backend = fn
        dtypes = [d.strip() for d in opt("--hfy-dtype").split(",") if d.strip()]
        for d in dtypes:
            H._check_dtype(d)
        xf = [c.strip() for c in opt("--hfy-expected-failures").split(",") if c.strip()]
    except (ValueError, TypeError, ImportError, AttributeError) as exc:
        raise pytest.UsageError(f"hfy-reference: {exc}") from None
    kwargs = dict(compute_dtype=opt("--hfy-compute-dtype"),
                  output_dtype=opt("--hfy-output-dtype"), tol_scale=opt("--hfy-tol-scale"),
                  expected_failures=xf or None, name=opt("--hfy-backend"), **params)
    return backend, family, dtypes, kwargs


class _Reports:
    def __init__(self, backend, family, kwargs):
        self.backend, self.family, self.kwargs = backend, family, kwargs
        self.reports = {}

    def get(self, dtype):
        from . import check_backend

        if dtype not in self.reports:
            self.reports[dtype] = check_backend(self.backend, self.family, dtype=dtype,
                                                fail_fast=False, **self.kwargs)
        return self.reports[dtype]


class HfyItem(pytest.Item):
    """One case of the oracle's suite for one dtype."""

    def __init__(self, *, reports, dtype, case, **kw):
        super().__init__(**kw)
        self.reports, self.dtype, self.case = reports, dtype, case

    def runtest(self):
        rep = self.reports.get(self.dtype)
        res = rep[self.case]
        if res.status == "skip":
            pytest.skip(res.reasons[0] if res.reasons else "skipped")
        if res.status == "xfail":
            pytest.xfail("in the --hfy-expected-failures baseline: " + "; ".join(
                res.reasons))
        if res.status in ("fail", "notrun"):
            raise _CaseFailure(rep, res)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, _CaseFailure):
            return excinfo.value.text()
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return "hfy", None, self.name


class _CaseFailure(AssertionError):
    def __init__(self, rep, res):
        super().__init__(res.name)
        self.rep, self.res = rep, res

    def text(self) -> str:
        r = self.res
        lines = [f"{self.rep.header()}", f"case {r.name!r} ({r.note}), shape {r.shape}:"]
        lines += [f"    - {s}" for s in r.reasons]
        if r.diff:
            lines.append(f"    {'index'.ljust(14)}{'expected'.ljust(26)}{'got'.ljust(26)}"
                         "tolerance")
            for idx, exp, got, tol in r.diff[:5]:
                lines.append(f"    {str(idx).ljust(14)}{exp!r:<26}{got!r:<26}{tol:.3g}")
        return "\n".join(lines)


def pytest_collection_modifyitems(session, config, items):
    if not config.getoption("--hfy-backend"):
        return
    from . import cases

    backend, family, dtypes, kwargs = _setup(config)
    reports = _Reports(backend, family, kwargs)
    params = {k: v for k, v in kwargs.items() if k in ("alpha", "k", "target")}
    for dt in dtypes:
        for c in cases(family, dtype=dt, **params):
            items.append(HfyItem.from_parent(session, name=f"hfy::{family}[{dt}]::{c.name}",
                                             reports=reports, dtype=dt, case=c.name))
