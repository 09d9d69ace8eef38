"""Every in-place (`_`) Tensor method that torch has and whose out-of-place base duograd provides,
walked systematically against real torch: the written values, the version bump, the gradient
through the write (to the tensor and to its tensor operands), and the error for a leaf that
requires grad."""

from __future__ import annotations

import warnings

import duograd.frontends.eager as dg
import numpy as np
import pytest

torch = pytest.importorskip("torch")


def _provided(name: str) -> bool:
    return any(name in vars(k) for k in dg.Tensor.__mro__)


WALKED = sorted(
    n for n in dir(torch.Tensor) if n.endswith("_") and not n.startswith("_") and _provided(n[:-1])
)

# torch has no derivative for these in-place forms: its reference is the out-of-place one
NO_INPLACE_GRAD = {"acosh_", "arccosh_", "asinh_", "arcsinh_", "atanh_", "arctanh_"}

# not a write of a computed value: checked by their own tests
EXEMPT = {
    "requires_grad_": "sets a flag (tests/eager/test_tensor.py)",
    "detach_": "cuts history, no values written (tests/eager/test_autograd.py)",
    "share_memory_": "a no-op on CPU memory",
    "resize_": "reallocates (tests/eager/test_surface_oracle.py)",
    "bernoulli_": "random draws (distribution tests of the random fills)",
}


def _f(m, dt, shape, lo=-1.0, hi=1.0, seed=0):
    rng = np.random.default_rng(seed)
    return m.tensor(rng.uniform(lo, hi, shape).astype(dt), requires_grad=True)


def _i(m, data):
    return m.tensor(np.asarray(data, np.int64))


# base -> (self shape, self (lo, hi), args(m, dt) -> tuple, kind)
#   kind "grad": values, version, gradients and the leaf error; "value": values and version only
#   (comparisons, rounding, integer results); "int": an integer tensor, values and version
U = ((3, 4), (0.2, 0.8), lambda m, dt: (), "grad")
S34 = (3, 4)


def _other(lo=0.3, hi=0.9, shape=S34):
    return lambda m, dt: (_f(m, dt, shape, lo, hi, seed=1),)


SPECS: dict = {}
for _b in ("abs absolute acos arccos asin arcsin atan arctan asinh arcsinh atanh arctanh cos cosh "
           "deg2rad digamma erf erfc erfinv exp exp2 expm1 lgamma log log10 log1p log2 logit neg "
           "negative rad2deg reciprocal relu rsqrt sigmoid sin sinc sinh sqrt square tan tanh "
           "nan_to_num tril triu").split():  # fmt: skip
    SPECS[_b] = U
for _b in "ceil fix floor frac round trunc sign sgn logical_not".split():
    SPECS[_b] = (S34, (-2.0, 2.0), lambda m, dt: (), "value" if _b != "frac" else "grad")
for _b in ("acosh", "arccosh"):
    SPECS[_b] = (S34, (1.2, 3.0), lambda m, dt: (), "grad")
for _b in ("add sub subtract mul multiply div divide true_divide atan2 arctan2 hypot copysign "
           "fmod remainder pow xlogy").split():  # fmt: skip
    SPECS[_b] = (S34, (0.2, 0.8), _other(), "grad")
for _b in ("floor_divide nextafter eq ne lt le gt ge greater greater_equal less less_equal "
           "not_equal logical_and logical_or logical_xor igamma igammac").split():  # fmt: skip
    SPECS[_b] = (S34, (0.2, 0.8), _other(), "value")
for (
    _b
) in "bitwise_and bitwise_or bitwise_xor gcd lcm bitwise_left_shift bitwise_right_shift".split():
    SPECS[_b] = ((3,), None, lambda m, dt: (_i(m, [3, 5, 2]),), "int")
SPECS["bitwise_not"] = ((3,), None, lambda m, dt: (), "int")
SPECS.update({
    "float_power": (S34, (0.2, 0.8), lambda m, dt: (1.5,), "f64"),
    "ldexp": (S34, (0.2, 0.8), lambda m, dt: (_i(m, [1, 0, 2, 3]),), "grad"),
    "heaviside": (S34, (-1.0, 1.0), lambda m, dt: (m.tensor(np.asarray([0.5], dt)),), "value"),
    "lerp": (S34, (0.2, 0.8), lambda m, dt: (_f(m, dt, S34, seed=2), 0.3), "grad"),
    "clamp": (S34, (-1.0, 1.0), lambda m, dt: (-0.5, 0.4), "grad"),
    "clip": (S34, (-1.0, 1.0), lambda m, dt: (-0.5, 0.4), "grad"),
    "clamp_min": (S34, (-1.0, 1.0), lambda m, dt: (0.1,), "grad"),
    "clamp_max": (S34, (-1.0, 1.0), lambda m, dt: (0.1,), "grad"),
    "addcmul": (S34, (-1.0, 1.0), lambda m, dt: (_f(m, dt, S34, seed=3), _f(m, dt, (4,), seed=4)),
                "grad"),
    "addcdiv": (S34, (-1.0, 1.0),
                lambda m, dt: (_f(m, dt, S34, seed=3), _f(m, dt, S34, 0.5, 1.5, seed=4)),
                "grad"),
    "addmm": (S34, (-1.0, 1.0),
              lambda m, dt: (_f(m, dt, (3, 2), seed=5), _f(m, dt, (2, 4), seed=6)), "grad"),
    "addmv": ((3,), (-1.0, 1.0), lambda m, dt: (_f(m, dt, (3, 4), seed=5), _f(m, dt, (4,), seed=6)),
              "grad"),
    "addr": (S34, (-1.0, 1.0), lambda m, dt: (_f(m, dt, (3,), seed=5), _f(m, dt, (4,), seed=6)),
             "grad"),
    "addbmm": (S34, (-1.0, 1.0), lambda m, dt: (_f(m, dt, (2, 3, 5), seed=5),
                                                _f(m, dt, (2, 5, 4), seed=6)), "grad"),
    "baddbmm": ((2, 3, 4), (-1.0, 1.0), lambda m, dt: (_f(m, dt, (2, 3, 5), seed=5),
                                                       _f(m, dt, (2, 5, 4), seed=6)), "grad"),
    "polygamma": (S34, (0.5, 2.0), lambda m, dt: (1,), "grad"),
    "renorm": (S34, (-1.0, 1.0), lambda m, dt: (2, 0, 0.5), "grad"),
    "cumsum": (S34, (-1.0, 1.0), lambda m, dt: (1,), "grad"),
    "cumprod": (S34, (0.5, 1.5), lambda m, dt: (1,), "grad"),
    "masked_fill": (S34, (-1.0, 1.0), lambda m, dt: (m.tensor(np.eye(3, 4, dtype=bool)), 0.5),
                    "grad"),
    "masked_scatter": (S34, (-1.0, 1.0), lambda m, dt: (m.tensor(np.eye(3, 4, dtype=bool)),
                                                        _f(m, dt, S34, seed=7)), "grad"),
    "index_add": (S34, (-1.0, 1.0), lambda m, dt: (1, _i(m, [3, 0]), _f(m, dt, (3, 2), seed=8)),
                  "grad"),
    "index_copy": (S34, (-1.0, 1.0), lambda m, dt: (1, _i(m, [3, 0]), _f(m, dt, (3, 2), seed=8)),
                   "grad"),
    "index_fill": (S34, (-1.0, 1.0), lambda m, dt: (1, _i(m, [3, 0]), 0.25), "grad"),
    "index_put": (S34, (-1.0, 1.0), lambda m, dt: ((_i(m, [0, 2]), _i(m, [1, 3])),
                                                   _f(m, dt, (2,), seed=9)), "grad"),
    "index_reduce": (S34, (0.5, 1.5), lambda m, dt: (0, _i(m, [0, 2, 0]),
                                                     _f(m, dt, S34, 0.5, 1.5, seed=9), "prod"),
                     "grad"),
    "put": (S34, (-1.0, 1.0), lambda m, dt: (_i(m, [0, 5, 11]), _f(m, dt, (3,), seed=10)), "grad"),
    "scatter": (S34, (-1.0, 1.0),
                lambda m, dt: (1, _i(m, [[0, 2]] * 3), _f(m, dt, (3, 2), seed=11)), "grad"),
    "scatter_add": (S34, (-1.0, 1.0), lambda m, dt: (1, _i(m, [[0, 0]] * 3),
                                                     _f(m, dt, (3, 2), seed=11)), "grad"),
    "scatter_reduce": (S34, (-1.0, 1.0), lambda m, dt: (1, _i(m, [[0, 0, 2]] * 3),
                                                        _f(m, dt, (3, 3), seed=11), "amax"),
                       "grad"),
    # layout: the tensor is rebound to a new view of its memory
    "squeeze": ((3, 1, 4), (-1.0, 1.0), lambda m, dt: (1,), "grad"),
    "unsqueeze": (S34, (-1.0, 1.0), lambda m, dt: (1,), "grad"),
    "t": (S34, (-1.0, 1.0), lambda m, dt: (), "grad"),
    "transpose": ((2, 3, 4), (-1.0, 1.0), lambda m, dt: (0, 2), "grad"),
    "swapaxes": ((2, 3, 4), (-1.0, 1.0), lambda m, dt: (0, 1), "grad"),
    "swapdims": ((2, 3, 4), (-1.0, 1.0), lambda m, dt: (2, 1), "grad"),
    "as_strided": (S34, (-1.0, 1.0), lambda m, dt: ((2, 2), (4, 1), 1), "grad"),
})  # fmt: skip


def test_every_walked_name_has_a_spec_or_a_reason():
    missing = [n for n in WALKED if n[:-1] not in SPECS and n not in EXEMPT]
    assert not missing, f"in-place methods without a check: {missing}"
    assert len(WALKED) > 120


def _self(m, spec, dt):
    shape, bounds, _, kind = spec
    if kind == "int":
        return m.tensor(np.asarray([12, 7, 9], np.int64)[: shape[0]])
    rng = np.random.default_rng(42)
    return m.tensor(rng.uniform(*bounds, shape).astype(dt))


def _write(m, name, spec, dt, grad):
    base = _self(m, spec, dt)
    args = spec[2](m, dt)
    if not grad:
        args = tuple(a.detach() if hasattr(a, "detach") else a for a in args)
        args = tuple(tuple(x.detach() for x in a) if isinstance(a, tuple) and a and
                     hasattr(a[0], "detach") else a for a in args)  # fmt: skip
        x = base.clone()
        v = x._version
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = getattr(x, name)(*args)
        assert out is x
        assert x._version == v + 1
        return x.numpy(), str(x.dtype), []
    p = base.clone().requires_grad_(True)
    y = p * 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = getattr(y, name)(*args)
    if name.endswith("_"):
        assert out is y
    else:  # torch's reference through the out-of-place form
        y = out
    cot = np.cos(np.arange(y.numel())).reshape(tuple(y.shape)).astype(dt)
    (y * m.tensor(cot)).sum().backward()
    operands = [a for a in args if hasattr(a, "requires_grad") and a.requires_grad]
    grads = [p.grad.numpy()] + [a.grad.numpy() for a in operands]
    return y.detach().numpy(), str(y.dtype), grads


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("name", [n for n in WALKED if n not in EXEMPT])
def test_inplace_matches_torch(name, dt):
    spec = SPECS[name[:-1]]
    kind = spec[3]
    if kind == "f64":
        dt = np.float64  # float_power_ writes float64 results only into float64 tensors
    rtol, atol = (3e-5, 1e-5) if dt == np.float32 else (1e-10, 1e-12)
    if name[:-1] in ("digamma", "polygamma"):  # the core's series, good to about 1e-9
        rtol = max(rtol, 1e-8)
    got = _write(dg, name, spec, dt, grad=False)
    want = _write(torch, name, spec, dt, grad=False)
    assert got[1] == want[1]
    np.testing.assert_allclose(got[0], want[0], rtol=rtol, atol=atol, equal_nan=True)
    if kind in ("grad", "f64"):
        got = _write(dg, name, spec, dt, grad=True)
        want = _write(torch, name if name not in NO_INPLACE_GRAD else name[:-1], spec, dt, True)
        np.testing.assert_allclose(got[0], want[0], rtol=rtol, atol=atol, equal_nan=True)
        assert len(got[2]) == len(want[2])
        for g, w in zip(got[2], want[2], strict=True):
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)
        # a leaf that requires grad is refused while recording, by both
        for m in (dg, torch):
            leaf = _self(m, spec, dt).requires_grad_(True)
            with pytest.raises(RuntimeError, match="leaf"):
                getattr(leaf, name)(*spec[2](m, dt))


@pytest.mark.parametrize("name", ["atan2_", "sqrt_", "sinc_", "hypot_"])
def test_float_result_into_integer_tensor_is_refused(name):
    for m in (dg, torch):
        x = m.tensor([1, 2, 3])
        v = x._version
        args = () if name in ("sqrt_", "sinc_") else (m.tensor([1.0, 2.0, 3.0]),)
        with pytest.raises(RuntimeError, match="can't be cast"):
            getattr(x, name)(*args)
        assert x._version == v and x.tolist() == [1, 2, 3]


def test_layout_write_keeps_sharing_memory():
    x = dg.zeros(3, 1)
    data = x.numpy()
    x.squeeze_()
    x.unsqueeze_(0).t_()
    assert tuple(x.shape) == (3, 1)
    x.add_(1)
    assert np.shares_memory(x.numpy(), data) and data.sum() == 3
