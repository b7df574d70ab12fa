"""The oracle's adapters (torch, JAX) and its pytest plugin.  The torch tests need
torch, the JAX ones jax (pytest.importorskip); the plugin test runs with pytester."""

from __future__ import annotations

import numpy as np
import pytest

import hfy_reference as H
from hfy_reference.testing import check_backend, from_jax, from_torch, reference

pytest_plugins = ["pytester"]

F64, F32 = np.float64, np.float32


# ---------------------------------------------------------------------------------------
# torch
# ---------------------------------------------------------------------------------------
def _torch_sparsemax(torch):
    def sparsemax(x):  # sort-based, written with torch ops (differentiable)
        d = x - x.max(dim=-1, keepdim=True).values
        s, _ = torch.sort(d, dim=-1, descending=True)
        k = torch.arange(1, d.shape[-1] + 1, dtype=d.dtype)
        cs = torch.cumsum(s, dim=-1)
        n = ((1 + k * s) > cs).sum(dim=-1, keepdim=True)
        tau = (torch.gather(cs, -1, n - 1) - 1) / n.to(d.dtype)
        return torch.clamp(d - tau, min=0)
    return sparsemax


@pytest.mark.parametrize("dtype", [F64, F32])
def test_from_torch_maps_vjps_and_jvps(dtype):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)

    def softmax(x):
        return torch.softmax(x, dim=-1)

    for fam in ("softmax", "softmax_vjp", "softmax_jvp"):
        rep = check_backend(from_torch(softmax, fam), fam, dtype=dtype)
        assert rep.passed, rep.failure_message()
    sp = _torch_sparsemax(torch)
    for fam in ("sparsemax", "sparsemax_vjp", "sparsemax_jvp"):
        rep = check_backend(from_torch(sp, fam, device="cpu"), fam, dtype=dtype)
        assert rep.passed, rep.failure_message()
    # teeth: the JVP of a wrong map fails
    rep = check_backend(from_torch(lambda x: torch.softmax(2 * x, -1), "softmax_jvp"),
                        "softmax_jvp", dtype=dtype)
    assert {"unit_scores", "dense_support"} <= set(rep.failing_cases)


def test_from_torch_bfloat16_and_devices():
    torch = pytest.importorskip("torch")
    pytest.importorskip("ml_dtypes")
    seen = []

    def softmax(x):
        seen.append(x.dtype)
        return torch.softmax(x.float(), dim=-1).to(x.dtype)  # fp32 compute, bf16 out

    rep = check_backend(from_torch(softmax, "softmax"), "softmax", dtype="bfloat16",
                        compute_dtype=F32)
    assert rep.passed, rep.failure_message()
    assert set(seen) == {torch.bfloat16}
    with pytest.raises(ValueError, match="CUDA is not available"):
        if torch.cuda.is_available():
            raise ValueError("CUDA is not available (skipped: a GPU is here)")
        from_torch(softmax, "softmax", device="cuda")
    # judge one's own tensors: reference() takes them directly
    z = torch.randn(2, 3, 5, dtype=torch.float64)
    ref = reference("softmax", z)
    assert ref.check(torch.softmax(z, -1).numpy()).passed


def test_from_torch_on_cuda():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    rep = check_backend(from_torch(lambda x: torch.softmax(x, -1), "softmax", device="cuda"),
                        "softmax", dtype=F32)
    assert rep.passed, rep.failure_message()


# ---------------------------------------------------------------------------------------
# JAX
# ---------------------------------------------------------------------------------------
@pytest.fixture
def jax_x64():
    jax = pytest.importorskip("jax")
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield jax
    jax.config.update("jax_enable_x64", old)


@pytest.mark.parametrize("dtype", [F64, F32])
def test_from_jax_maps_vjps_jvps_and_grads(jax_x64, dtype):
    jax = jax_x64
    import jax.numpy as jnp

    # every case of the map; a subset for the derived families (each new shape is a
    # jax.jit compile: the whole matrix runs in the findings, outside CI)
    rep = check_backend(from_jax(jax.nn.softmax, "softmax"), "softmax", dtype=dtype)
    assert rep.passed, rep.failure_message()
    few = ["unit_scores", "masked_mixed", "huge_scale", "n65537", "attention_4d",
           "strided_view"]
    for fam in ("softmax_vjp", "softmax_jvp"):
        rep = check_backend(from_jax(jax.nn.softmax, fam), fam, dtype=dtype, cases=few)
        assert rep.passed, rep.failure_message()

    def loss(z, y):  # the softmax FY loss = cross-entropy minus the entropy of y
        logz = jax.nn.logsumexp(z, axis=-1)
        ylogy = jnp.sum(jnp.where(y > 0, y * jnp.log(jnp.where(y > 0, y, 1.0)), 0.0), -1)
        return logz - jnp.sum(jnp.where(y > 0, y * z, 0.0), -1) + ylogy

    rep = check_backend(from_jax(loss, "softmax_loss_grad"), "softmax_loss_grad",
                        dtype=dtype, cases=lambda c: c.name.split("/")[0] in few)
    assert rep.passed, rep.failure_message()
    rep = check_backend(from_jax(lambda x: jax.nn.softmax(x * 1.5), "softmax"), "softmax",
                        dtype=dtype, cases=few)
    assert set(few) - {"huge_scale"} <= set(rep.failing_cases)


def test_from_jax_refuses_silent_float32(jax_x64):
    jax = jax_x64
    jax.config.update("jax_enable_x64", False)
    rep = check_backend(from_jax(jax.nn.softmax, "softmax"), "softmax", dtype=F64)
    assert rep.aborted and "jax_enable_x64" in rep.aborted


# ---------------------------------------------------------------------------------------
# the pytest plugin
# ---------------------------------------------------------------------------------------
def test_pytest_plugin(pytester):
    pytester.makepyfile(mybackend="""
        import hfy_reference as H

        def good(z):
            return H.sparsemax(z)

        def wrong_alpha(z, alpha):
            return H.entmax(z, alpha + 0.1)
    """)
    pytester.syspathinsert()
    plugin = ["-p", "hfy_reference.testing.pytest_plugin", "-p", "no:cacheprovider"]
    r = pytester.runpytest(*plugin, "--hfy-backend", "mybackend:good",
                           "--hfy-family", "sparsemax", "--hfy-dtype", "float64,float32")
    n = r.parseoutcomes()
    assert n.get("failed", 0) == 0 and n["passed"] > 80
    r = pytester.runpytest(*plugin, "--hfy-backend", "mybackend:wrong_alpha",
                           "--hfy-family", "entmax", "--hfy-alpha", "1.5", "-q",
                           "--hfy-expected-failures", "two_entries")
    n = r.parseoutcomes()
    assert n["failed"] > 10 and n["xfailed"] == 1
    r.stdout.fnmatch_lines(["*case 'unit_scores'*",
                            "*FAILED*hfy::entmax[[]float64[]]::unit_scores*"])
    # without the options, the plugin is inert
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    r = pytester.runpytest(*plugin)
    out = r.parseoutcomes()
    assert out.get("passed") == 1 and "failed" not in out and "xfailed" not in out
    r = pytester.runpytest(*plugin, "--hfy-backend", "mybackend:good")
    assert r.ret == pytest.ExitCode.USAGE_ERROR
    r.stderr.fnmatch_lines(["*--hfy-backend needs --hfy-family*"])
    assert H.sparsemax(np.array([0.0])).tolist() == [1.0]
