"""Complex-number primitives: real/complex views, conjugate, modulus and argument, complex
arithmetic, and the FFTs (numpy's pocketfft: both styles call this one kernel).

Gradients follow the conjugate Wirtinger convention (PyTorch's, and TF's for real losses): the
cotangent of a complex value z is dL/dRe(z) + i dL/dIm(z), so a real loss's gradient at a
complex input reads as the steepest-ascent direction. A holomorphic f then has the VJP
g * conj(f'(z)); a linear map's VJP is its adjoint.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..errors import DTypeError, ShapeError, fmt_shape
from ..kernels import fft as FK
from . import rules
from .registry import AVal, Primitive, bind, register


def _require_complex(op: str, x) -> np.dtype:
    dt = np.dtype(x.dtype)
    if dt.kind != "c":
        raise DTypeError(f"{op}: expected a complex64 or complex128 operand, got {dt}")
    return dt


# ---- views between complex (...) and real (..., 2) -------------------------------------------


def _as_real_rule(z) -> AVal:
    dt = _require_complex("view_as_real", z)
    return AVal(tuple(z.shape) + (2,), dtypes.real_of(dt))


def _as_complex_rule(x) -> AVal:
    dt = rules.require_float("view_as_complex", x)
    if not x.shape or (x.shape[-1] is not None and x.shape[-1] != 2):
        raise ShapeError(
            f"view_as_complex: the last dimension must be 2 (real, imag), got {fmt_shape(x.shape)}"
        )
    return AVal(tuple(x.shape)[:-1], dtypes.complex_of(dt))


def _as_real(z):
    z = np.ascontiguousarray(z)
    return z.view(dtypes.real_of(z.dtype)).reshape(z.shape + (2,))


def _as_complex(x):
    x = np.ascontiguousarray(x)
    return x.view(dtypes.complex_of(x.dtype)).reshape(x.shape[:-1])


VIEW_AS_REAL = register(
    Primitive(
        "view_as_real",
        impl=lambda z: _as_real(z).copy(),
        shape_rule=_as_real_rule,
        vjp=lambda g, out, z, wants: (view_as_complex(g),),
        reference=lambda z: np.stack([z.real, z.imag], -1),
    )
)
VIEW_AS_COMPLEX = register(
    Primitive(
        "view_as_complex",
        impl=lambda x: _as_complex(x).copy(),
        shape_rule=_as_complex_rule,
        vjp=lambda g, out, x, wants: (view_as_real(g),),
        reference=lambda x: x[..., 0] + 1j * x[..., 1],
    )
)


def view_as_real(z):
    """(...,) complex -> (..., 2) real: the real and imaginary parts side by side."""
    return bind(VIEW_AS_REAL, z)


def view_as_complex(x):
    """(..., 2) real -> (...,) complex."""
    return bind(VIEW_AS_COMPLEX, x)


# ---- conjugate, modulus, argument ------------------------------------------------------------


def _same_rule(op: str):
    def rule(z) -> AVal:
        return AVal(tuple(z.shape), _require_complex(op, z))

    return rule


def _real_rule(op: str):
    def rule(z) -> AVal:
        return AVal(tuple(z.shape), dtypes.real_of(_require_complex(op, z)))

    return rule


CONJ = register(
    Primitive(
        "conj",
        impl=np.conj,
        shape_rule=_same_rule("conj"),
        vjp=lambda g, out, z, wants: (conj(g),),
        reference=np.conj,
    )
)


def conj(z):
    """The complex conjugate."""
    return bind(CONJ, z)


def _cabs_grad(g, z):
    # d|z|: z / |z|, and 0 at z = 0 (PyTorch's choice, where |z| has no derivative)
    r = np.abs(z)
    safe = np.where(r == 0, 1, r)
    return (g * np.where(r == 0, 0, z / safe)).astype(z.dtype)


def _cangle_grad(g, z):
    # d arg(z) = i z / |z|^2 (the conjugate-Wirtinger form of d atan2(y, x)), 0 at z = 0
    r2 = (z * np.conj(z)).real
    safe = np.where(r2 == 0, 1, r2)
    return (g * np.where(r2 == 0, 0, 1j * z / safe)).astype(z.dtype)


def _grad_rule(g, z) -> AVal:
    return AVal(tuple(z.shape), np.dtype(z.dtype))


CABS = register(
    Primitive(
        "complex_abs",
        impl=lambda z: np.abs(z),
        shape_rule=_real_rule("abs"),
        vjp=lambda g, out, z, wants: (bind(CABS_GRAD, g, z),),
        reference=np.abs,
    )
)
CABS_GRAD = register(
    Primitive(
        "complex_abs_grad",
        impl=_cabs_grad,
        shape_rule=_grad_rule,
        reference=_cabs_grad,
        nondiff=(0, 1),
        derivative_of="abs (complex)",
    )
)
CANGLE = register(
    Primitive(
        "complex_angle",
        impl=lambda z: np.angle(z),
        shape_rule=_real_rule("angle"),
        vjp=lambda g, out, z, wants: (bind(CANGLE_GRAD, g, z),),
        reference=np.angle,
    )
)
CANGLE_GRAD = register(
    Primitive(
        "complex_angle_grad",
        impl=_cangle_grad,
        shape_rule=_grad_rule,
        reference=_cangle_grad,
        nondiff=(0, 1),
        derivative_of="angle",
    )
)


def complex_abs(z):
    """|z| (a real tensor)."""
    return bind(CABS, z)


def complex_angle(z):
    """arg(z) in (-pi, pi] (a real tensor)."""
    return bind(CANGLE, z)


# ---- arithmetic -------------------------------------------------------------------------------


def _cbin_rule(x, y, op) -> AVal:
    dt = rules.same_dtype(f"complex {op}", x, y)
    _require_complex(f"complex {op}", x)
    return AVal(rules.broadcast_shapes(f"complex {op}", tuple(x.shape), tuple(y.shape)), dt)


_NP_OPS = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide}


def _cbin_impl(x, y, op):
    with np.errstate(divide="ignore", invalid="ignore"):
        return _NP_OPS[op](x, y).astype(x.dtype, copy=False)


def _cbin_vjp(g, out, x, y, wants, op):
    if op == "add":
        gx, gy = g, g
    elif op == "sub":
        gx, gy = g, cneg(g)
    elif op == "mul":
        gx, gy = cbinary(g, conj(y), "mul"), cbinary(g, conj(x), "mul")
    else:  # out = x / y: d/dx = 1/y, d/dy = -out/y
        gx = cbinary(g, conj(y), "div")
        gy = cneg(cbinary(gx, conj(out), "mul"))
    return (sum_to(gx, x), sum_to(gy, y))


CBINARY = register(
    Primitive(
        "complex_binary",
        impl=_cbin_impl,
        shape_rule=_cbin_rule,
        vjp=_cbin_vjp,
        reference=_cbin_impl,
    )
)


CNEG = register(
    Primitive(
        "complex_neg",
        impl=np.negative,
        shape_rule=_same_rule("neg"),
        vjp=lambda g, out, z, wants: (cneg(g),),
        reference=np.negative,
    )
)


def cneg(z):
    """-z for a complex operand."""
    return bind(CNEG, z)


def cbinary(x, y, op: str):
    """x op y for complex operands of one dtype (op: add, sub, mul, div), broadcasting."""
    if op not in _NP_OPS:
        raise ValueError(f"complex arithmetic: op must be one of {sorted(_NP_OPS)}, got {op!r}")
    return bind(CBINARY, x, y, op=op)


def _sum_to_impl(g, like):
    shape = like.shape
    extra = g.ndim - len(shape)
    r = g.sum(axis=tuple(range(extra))) if extra else g
    axes = tuple(i for i, d in enumerate(shape) if d == 1 and r.shape[i] != 1)
    return (r.sum(axis=axes, keepdims=True) if axes else r).astype(g.dtype).reshape(shape)


SUM_TO = register(
    Primitive(
        "complex_sum_to",
        impl=_sum_to_impl,
        shape_rule=lambda g, like: AVal(tuple(like.shape), np.dtype(g.dtype)),
        vjp=lambda gg, out, g, like, wants: (bind(BROADCAST_AS, gg, g), None),
        reference=_sum_to_impl,
        nondiff=(1,),
        shape_from=1,
        shape_only=(1,),
    )
)
BROADCAST_AS = register(
    Primitive(
        "complex_broadcast_as",
        impl=lambda x, like: np.broadcast_to(x, like.shape).copy(),
        shape_rule=lambda x, like: AVal(tuple(like.shape), np.dtype(x.dtype)),
        vjp=lambda g, out, x, like, wants: (bind(SUM_TO, g, x), None),
        reference=lambda x, like: np.broadcast_to(x, like.shape).copy(),
        nondiff=(1,),
        shape_from=1,
        shape_only=(1,),
    )
)


def sum_to(g, like):
    """Sum a (broadcast) cotangent back to the shape of `like`."""
    if tuple(g.shape) == tuple(like.shape):
        return g
    return bind(SUM_TO, g, like)


# ---- FFTs along one axis ----------------------------------------------------------------------

_DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _norm(op: str, norm) -> str:
    norm = "backward" if norm is None else norm
    if norm not in _DUAL:
        raise ValueError(f"{op}: norm must be 'backward', 'forward' or 'ortho', got {norm!r}")
    return norm


def _fit(a: np.ndarray, axis: int, length: int | None) -> np.ndarray:
    """Crop or zero-pad `a` along `axis` to `length` (None: unchanged)."""
    if length is None or a.shape[axis] == length:
        return a
    if a.shape[axis] > length:
        return np.take(a, np.arange(length), axis=axis)
    pad = [(0, 0)] * a.ndim
    pad[axis] = (0, length - a.shape[axis])
    return np.pad(a, pad)


def _fft_shape(op: str, x, n, axis, out_len) -> tuple:
    shape = list(x.shape)
    a = rules.normalize_axis(op, axis, len(shape))
    shape[a] = out_len
    return tuple(shape)


# c2c: fft / ifft; `fit` crops or pads the result (the VJP of a padded or cropped transform)
def _fftc_impl(x, n, axis, norm, inverse, fit):
    f = np.fft.ifft if inverse else np.fft.fft
    return _fit(FK.batched(f, x, n=n, axis=axis, norm=norm), axis, fit).astype(x.dtype, copy=False)


def _fftc_rule(x, n, axis, norm, inverse, fit) -> AVal:
    dt = _require_complex("fft", x)
    a = rules.normalize_axis("fft", axis, len(x.shape))
    length = fit if fit is not None else (n if n is not None else x.shape[a])
    return AVal(_fft_shape("fft", x, n, axis, length), dt)


def _fftc_vjp(g, out, x, wants, n, axis, norm, inverse, fit):
    length = x.shape[axis]
    return (fftc(g, n if fit is None else fit, axis, _DUAL[norm], not inverse, fit=length),)


FFTC = register(
    Primitive(
        "fft_c2c",
        impl=_fftc_impl,
        shape_rule=_fftc_rule,
        vjp=_fftc_vjp,
        reference=_fftc_impl,
    )
)


def fftc(x, n=None, axis: int = -1, norm=None, inverse: bool = False, fit=None):
    """The discrete Fourier transform (inverse=True: its inverse) of complex `x` along `axis`."""
    a = rules.normalize_axis("fft", axis, len(x.shape))
    nm = _norm("ifft" if inverse else "fft", norm)
    return bind(FFTC, x, n=n, axis=a, norm=nm, inverse=bool(inverse), fit=fit)


def _rfft_impl(x, n, axis, norm):
    out = FK.batched(np.fft.rfft, x, n=n, axis=axis, norm=norm)
    return out.astype(dtypes.complex_of(x.dtype), copy=False)


def _rfft_rule(x, n, axis, norm) -> AVal:
    dt = rules.require_float("rfft", x)
    m = n if n is not None else x.shape[axis]
    return AVal(
        _fft_shape("rfft", x, n, axis, None if m is None else m // 2 + 1), dtypes.complex_of(dt)
    )


def _rfft_adj_impl(g, n, axis, norm, length):
    # the adjoint of the one-sided transform: the middle bins stand for two (conjugate) bins
    # of the full spectrum, so they count half before the Hermitian inverse doubles them
    G = np.array(g, copy=True)
    idx = [slice(None)] * G.ndim
    last = n // 2 if n % 2 == 0 else n // 2 + 1
    idx[axis] = slice(1, last)
    G[tuple(idx)] *= 0.5
    out = np.fft.irfft(G, n=n, axis=axis, norm=_DUAL[norm])
    return _fit(out, axis, length).astype(dtypes.real_of(g.dtype), copy=False)


def _rfft_adj_rule(g, n, axis, norm, length) -> AVal:
    shape = list(g.shape)
    shape[axis] = length
    return AVal(tuple(shape), dtypes.real_of(np.dtype(g.dtype)))


RFFT_ADJ = register(
    Primitive(
        "rfft_adjoint",
        impl=_rfft_adj_impl,
        shape_rule=_rfft_adj_rule,
        reference=_rfft_adj_impl,
        nondiff=(0,),
        derivative_of="rfft",
    )
)
RFFT = register(
    Primitive(
        "rfft",
        impl=_rfft_impl,
        shape_rule=_rfft_rule,
        vjp=lambda g, out, x, wants, n, axis, norm: (
            bind(
                RFFT_ADJ,
                g,
                n=n if n is not None else x.shape[axis],
                axis=axis,
                norm=norm,
                length=x.shape[axis],
            ),
        ),
        reference=_rfft_impl,
    )
)


def rfft(x, n=None, axis: int = -1, norm=None):
    """The one-sided transform of real `x` along `axis` (n // 2 + 1 complex bins)."""
    a = rules.normalize_axis("rfft", axis, len(x.shape))
    return bind(RFFT, x, n=n, axis=a, norm=_norm("rfft", norm))


def _irfft_impl(X, n, axis, norm):
    return FK.batched(np.fft.irfft, X, n=n, axis=axis, norm=norm).astype(
        dtypes.real_of(X.dtype), copy=False
    )


def _irfft_rule(X, n, axis, norm) -> AVal:
    dt = _require_complex("irfft", X)
    m = X.shape[axis]
    length = n if n is not None else (None if m is None else 2 * (m - 1))
    return AVal(_fft_shape("irfft", X, n, axis, length), dtypes.real_of(dt))


def _irfft_adj_impl(g, n, axis, norm, bins):
    # the adjoint of the Hermitian inverse: each middle bin feeds two (conjugate) bins
    G = np.fft.rfft(g, n=n, axis=axis, norm=_DUAL[norm])
    idx = [slice(None)] * G.ndim
    last = n // 2 if n % 2 == 0 else n // 2 + 1
    idx[axis] = slice(1, last)
    G[tuple(idx)] *= 2
    return _fit(G, axis, bins).astype(dtypes.complex_of(g.dtype), copy=False)


def _irfft_adj_rule(g, n, axis, norm, bins) -> AVal:
    shape = list(g.shape)
    shape[axis] = bins
    return AVal(tuple(shape), dtypes.complex_of(np.dtype(g.dtype)))


IRFFT_ADJ = register(
    Primitive(
        "irfft_adjoint",
        impl=_irfft_adj_impl,
        shape_rule=_irfft_adj_rule,
        reference=_irfft_adj_impl,
        nondiff=(0,),
        derivative_of="irfft",
    )
)
IRFFT = register(
    Primitive(
        "irfft",
        impl=_irfft_impl,
        shape_rule=_irfft_rule,
        vjp=lambda g, out, X, wants, n, axis, norm: (
            bind(
                IRFFT_ADJ,
                g,
                n=n if n is not None else out.shape[axis],
                axis=axis,
                norm=norm,
                bins=X.shape[axis],
            ),
        ),
        reference=_irfft_impl,
    )
)


def irfft(X, n=None, axis: int = -1, norm=None):
    """The real inverse of a one-sided spectrum along `axis` (length n, default 2 (bins - 1))."""
    a = rules.normalize_axis("irfft", axis, len(X.shape))
    return bind(IRFFT, X, n=n, axis=a, norm=_norm("irfft", norm))
