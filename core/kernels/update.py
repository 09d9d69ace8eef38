"""In-place optimizer updates (SGD, momentum, Adam/AdamW, RMSprop): one fused kernel each.

These kernels are the only optimizer arithmetic in duograd; both frontends call them, so the
PyTorch-style and TF1-style optimizers agree bit for bit when configured alike.

Scalar handling: hyper-parameters and derived scalars (1 - beta, bias corrections, lr_t,
1 - lr*wd) are computed in Python float64 and converted to the parameter dtype once, before
the loop; everything per element happens in the parameter dtype, in the order written in each
docstring. Elements are independent, so the parallel (chunked) path gives the same bits.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .cpu_share import threads
from .pymath import math  # the standard module when compiled (see pymath)

PARALLEL_MIN = 1 << 18  # elements; below this the serial loop runs
CHUNK = 1 << 15


@njit(cache=True, error_model="numpy")
def _sgd_range(p, g, lo, hi, lr, wd, use_wd):
    ps, gs = p[lo:hi], g[lo:hi]
    for i in range(hi - lo):
        gi = gs[i]
        if use_wd:
            gi = gi + wd * ps[i]
        ps[i] = ps[i] - lr * gi


@njit(cache=True, error_model="numpy")
def _momentum_range(p, g, buf, lo, hi, lr, mom, omd, wd, use_wd, nesterov, first):
    ps, gs, bs = p[lo:hi], g[lo:hi], buf[lo:hi]
    for i in range(hi - lo):
        gi = gs[i]
        if use_wd:
            gi = gi + wd * ps[i]
        if first:
            b = gi
        else:
            b = mom * bs[i] + omd * gi
        bs[i] = b
        d = gi + mom * b if nesterov else b
        ps[i] = ps[i] - lr * d


@njit(cache=True, error_model="numpy")
def _adam_range(p, g, m, v, vmax, lo, hi, sc, flags):
    # sc = (b1, 1-b1, b2, 1-b2, eps, step, sqrt(bc2), wd, 1-lr*wd)
    # flags = (tf_eps, decoupled, use_wd, amsgrad)
    b1, omb1, b2, omb2, eps, step, bc2s, wd, keep = sc
    tf_eps, decoupled, use_wd, ams = flags
    ps, gs, ms, vs = p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi]
    vx = vmax[lo:hi]  # empty (and unused) unless amsgrad
    for i in range(hi - lo):
        pi = ps[i]
        gi = gs[i]
        if decoupled:
            pi = pi * keep
        elif use_wd:
            gi = gi + wd * pi
        mi = b1 * ms[i] + omb1 * gi
        vi = b2 * vs[i] + omb2 * (gi * gi)
        ms[i] = mi
        vs[i] = vi
        if ams:
            if vx[i] > vi or vx[i] != vx[i]:  # NaN-propagating running max
                vi = vx[i]
            vx[i] = vi
        if tf_eps:
            ps[i] = pi - (step * mi) / (math.sqrt(vi) + eps)
        else:
            ps[i] = pi - step * (mi / (math.sqrt(vi) / bc2s + eps))


@njit(cache=True, error_model="numpy")
def _rmsprop_range(p, g, ms, mom, mg, lo, hi, sc, flags):
    # sc = (lr, decay, 1-decay, eps, momentum); flags = (tf_eps, use_mom, centered)
    lr, a, oma, eps, mu = sc
    tf_eps, use_mom, centered = flags
    ps, gs, ss = p[lo:hi], g[lo:hi], ms[lo:hi]
    bs, cs = mom[lo:hi], mg[lo:hi]  # empty (and unused) when the option is off
    for i in range(hi - lo):
        gi = gs[i]
        s = a * ss[i] + oma * (gi * gi)
        ss[i] = s
        if centered:
            c = a * cs[i] + oma * gi
            cs[i] = c
            s = s - c * c
        if tf_eps:
            b = mu * bs[i] + (lr * gi) / math.sqrt(s + eps)
            bs[i] = b
            ps[i] = ps[i] - b
        else:
            avg = math.sqrt(s) + eps
            if use_mom:
                b = mu * bs[i] + gi / avg
                bs[i] = b
                ps[i] = ps[i] - lr * b
            else:
                ps[i] = ps[i] - lr * (gi / avg)


@njit(cache=True, error_model="numpy")
def _sgd_serial(p, g, lr, wd, use_wd):
    _sgd_range(p, g, 0, p.shape[0], lr, wd, use_wd)


@njit(cache=True, error_model="numpy", parallel=True)
def _sgd_parallel(p, g, lr, wd, use_wd):
    n = p.shape[0]
    for c in prange((n + CHUNK - 1) // CHUNK):
        _sgd_range(p, g, c * CHUNK, min(n, (c + 1) * CHUNK), lr, wd, use_wd)


@njit(cache=True, error_model="numpy")
def _momentum_serial(p, g, buf, lr, mom, omd, wd, use_wd, nesterov, first):
    _momentum_range(p, g, buf, 0, p.shape[0], lr, mom, omd, wd, use_wd, nesterov, first)


@njit(cache=True, error_model="numpy", parallel=True)
def _momentum_parallel(p, g, buf, lr, mom, omd, wd, use_wd, nesterov, first):
    n = p.shape[0]
    for c in prange((n + CHUNK - 1) // CHUNK):
        hi = min(n, (c + 1) * CHUNK)
        _momentum_range(p, g, buf, c * CHUNK, hi, lr, mom, omd, wd, use_wd, nesterov, first)


@njit(cache=True, error_model="numpy")
def _adam_serial(p, g, m, v, vmax, sc, flags):
    _adam_range(p, g, m, v, vmax, 0, p.shape[0], sc, flags)


@njit(cache=True, error_model="numpy", parallel=True)
def _adam_parallel(p, g, m, v, vmax, sc, flags):
    n = p.shape[0]
    for c in prange((n + CHUNK - 1) // CHUNK):
        _adam_range(p, g, m, v, vmax, c * CHUNK, min(n, (c + 1) * CHUNK), sc, flags)


@njit(cache=True, error_model="numpy")
def _rmsprop_serial(p, g, ms, mom, mg, sc, flags):
    _rmsprop_range(p, g, ms, mom, mg, 0, p.shape[0], sc, flags)


@njit(cache=True, error_model="numpy", parallel=True)
def _rmsprop_parallel(p, g, ms, mom, mg, sc, flags):
    n = p.shape[0]
    for c in prange((n + CHUNK - 1) // CHUNK):
        _rmsprop_range(p, g, ms, mom, mg, c * CHUNK, min(n, (c + 1) * CHUNK), sc, flags)


def _flat(param: np.ndarray, what: str, **arrays) -> list[np.ndarray]:
    """Check dtypes/shapes/contiguity and return 1-D views (state arrays are updated in place)."""
    if len(arrays) == 1 and type(param) is np.ndarray:
        # the everyday SGD call (one C-contiguous grad of the param's shape and dtype), decided
        # without the general checks below; anything else takes them
        g = arrays.get("grad")
        pf = param.flags
        if (
            type(g) is np.ndarray
            and g.dtype is param.dtype
            and g.shape == param.shape
            and (param.dtype is _F32 or param.dtype is _F64)
            and pf.c_contiguous
            and pf.writeable
            and g.flags.c_contiguous
        ):
            return [param.reshape(-1), g.reshape(-1)]
    if not isinstance(param, np.ndarray) or param.dtype not in (np.float32, np.float64):
        raise TypeError(f"{what}: param must be a float32/float64 ndarray")
    if not param.flags.c_contiguous or not param.flags.writeable:
        raise ValueError(f"{what}: param must be C-contiguous and writeable")
    out = [param.reshape(-1)]
    for name, a in arrays.items():
        if name == "grad":
            a = np.asarray(a)
            if a.dtype == param.dtype:
                # only read, so a contiguous copy is fine (ascontiguousarray alone would turn
                # a 0-d grad into 1-d); a dtype mismatch is reported below, not cast silently
                a = np.ascontiguousarray(a).reshape(a.shape)
        elif not (isinstance(a, np.ndarray) and a.flags.c_contiguous and a.flags.writeable):
            raise ValueError(f"{what}: state {name!r} must be a C-contiguous writeable ndarray")
        if a.shape != param.shape or a.dtype != param.dtype:
            raise ValueError(
                f"{what}: {name} has shape {a.shape} dtype {a.dtype}; "
                f"param has {param.shape} {param.dtype}"
            )
        out.append(a.reshape(-1))
    return out


_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)


def _parallel(n: int) -> bool:
    """Whether n elements take the parallel kernel (then with numba's thread count set to the
    cores other processes leave free, see cpu_share)."""
    if n < PARALLEL_MIN:
        return False
    threads()
    return True


def _dummy(dt: np.dtype) -> np.ndarray:
    return np.empty(0, dt)


def sgd_(param: np.ndarray, grad: np.ndarray, lr: float, weight_decay: float = 0.0) -> None:
    """In place: g = grad + wd*param (if wd); param = param - lr*g."""
    p, g = _flat(param, "sgd_", grad=grad)
    t = param.dtype.type
    k = _sgd_parallel if _parallel(p.size) else _sgd_serial
    k(p, g, t(lr), t(weight_decay), weight_decay != 0)


def momentum_(
    param: np.ndarray,
    grad: np.ndarray,
    buf: np.ndarray,
    lr: float,
    momentum: float,
    dampening: float = 0.0,
    nesterov: bool = False,
    weight_decay: float = 0.0,
    first_step: bool = False,
) -> None:
    """In place, PyTorch SGD-momentum: buf = g (first step) or momentum*buf + (1-damp)*g.

    Then d = g + momentum*buf (nesterov) or buf, and param = param - lr*d. TF's
    MomentumOptimizer (accum = momentum*accum + g; var -= lr*accum, or lr*(g + momentum*accum)
    with use_nesterov) is this kernel with dampening=0, buf starting at zeros and
    first_step=False: (1-0)*g == g exactly, so the two give identical bits.
    """
    p, g, b = _flat(param, "momentum_", grad=grad, buf=buf)
    t = param.dtype.type
    k = _momentum_parallel if _parallel(p.size) else _momentum_serial
    k(
        p,
        g,
        b,
        t(lr),
        t(momentum),
        t(1.0 - dampening),
        t(weight_decay),
        weight_decay != 0,
        bool(nesterov),
        bool(first_step),
    )


def adam_(
    param: np.ndarray,
    grad: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    step: int,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float = 0.0,
    decoupled: bool = False,
    eps_mode: str = "torch",
    amsgrad_max: np.ndarray | None = None,
) -> None:
    """In place Adam/AdamW; ``step`` counts from 1 and includes this update.

    g = grad + wd*param (Adam) or param = param*(1 - lr*wd) first (AdamW, ``decoupled``);
    m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*(g*g); with ``amsgrad_max`` v is replaced by the
    running max (stored back). eps_mode "torch": param - (lr/bc1) * (m / (sqrt(v)/sqrt(bc2)
    + eps)); "tf": lr_t = lr*sqrt(1-b2**step)/(1-b1**step), param - (lr_t*m) / (sqrt(v) + eps).
    """
    if step < 1:
        raise ValueError(f"adam_: step counts from 1, got {step}")
    if eps_mode not in ("torch", "tf"):
        raise ValueError(f"adam_: eps_mode must be 'torch' or 'tf', got {eps_mode!r}")
    arrays = {"grad": grad, "m": m, "v": v}
    if amsgrad_max is not None:
        arrays["amsgrad_max"] = amsgrad_max
    p, g, mm, vv, *rest = _flat(param, "adam_", **arrays)
    vmax = rest[0] if rest else _dummy(param.dtype)
    t = param.dtype.type
    bc1 = 1.0 - beta1**step
    bc2 = 1.0 - beta2**step
    if eps_mode == "tf":
        step_size = lr * math.sqrt(bc2) / bc1
    else:
        step_size = lr / bc1
    sc = (
        t(beta1),
        t(1.0 - beta1),
        t(beta2),
        t(1.0 - beta2),
        t(eps),
        t(step_size),
        t(math.sqrt(bc2)),
        t(weight_decay),
        t(1.0 - lr * weight_decay),
    )
    flags = (
        eps_mode == "tf",
        bool(decoupled) and weight_decay != 0,
        not decoupled and weight_decay != 0,
        amsgrad_max is not None,
    )
    k = _adam_parallel if _parallel(p.size) else _adam_serial
    k(p, g, mm, vv, vmax, sc, flags)


def rmsprop_(
    param: np.ndarray,
    grad: np.ndarray,
    ms: np.ndarray,
    mom: np.ndarray | None,
    lr: float,
    decay: float,
    eps: float,
    momentum: float = 0.0,
    centered_mg: np.ndarray | None = None,
    eps_mode: str = "torch",
) -> None:
    """In place RMSprop: ms = a*ms + (1-a)*(g*g) (centered: mg likewise, ms - mg*mg used).

    "torch": avg = sqrt(ms) + eps; with momentum mom = momentum*mom + g/avg, param - lr*mom,
    else param - lr*(g/avg). "tf": mom = momentum*mom + (lr*g)/sqrt(ms + eps); param - mom
    (TF1 starts ms at ones; the caller initialises it). ``mom`` may be None only for torch
    mode without momentum.
    """
    if eps_mode not in ("torch", "tf"):
        raise ValueError(f"rmsprop_: eps_mode must be 'torch' or 'tf', got {eps_mode!r}")
    use_mom = eps_mode == "tf" or momentum != 0
    if use_mom and mom is None:
        raise ValueError("rmsprop_: a momentum buffer is required (momentum > 0 or tf mode)")
    arrays = {"grad": grad, "ms": ms}
    if use_mom:
        arrays["mom"] = mom
    if centered_mg is not None:
        arrays["centered_mg"] = centered_mg
    p, g, s, *rest = _flat(param, "rmsprop_", **arrays)
    dummy = _dummy(param.dtype)
    b = rest.pop(0) if use_mom else dummy
    c = rest.pop(0) if centered_mg is not None else dummy
    t = param.dtype.type
    sc = (t(lr), t(decay), t(1.0 - decay), t(eps), t(momentum))
    flags = (eps_mode == "tf", use_mom, centered_mg is not None)
    k = _rmsprop_parallel if _parallel(p.size) else _rmsprop_serial
    k(p, g, s, b, c, sc, flags)
