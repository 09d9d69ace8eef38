"""Special-function kernels: lgamma, digamma, polygamma, and the gamma distribution's
regularised incomplete gamma function, its implicit sample gradient and transport map.

Each kernel computes in float64 and rounds once to the operand's dtype.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .pymath import math

# B_2k for k = 1..10 (the asymptotic series of digamma and polygamma)
_BERN = np.array(
    [
        1.0 / 6,
        -1.0 / 30,
        1.0 / 42,
        -1.0 / 30,
        5.0 / 66,
        -691.0 / 2730,
        7.0 / 6,
        -3617.0 / 510,
        43867.0 / 798,
        -174611.0 / 330,
    ]
)


@njit(cache=True, error_model="numpy")
def digamma1(x: float) -> float:
    """psi(x) for a float64 x (reflection below 0, recurrence up to 10, asymptotic series)."""
    if x != x:
        return x
    if x == 0.0:
        return -math.inf
    if x < 0.0:
        if x == math.floor(x):
            return math.nan
        # psi(1 - x) - psi(x) = pi cot(pi x)
        return digamma1(1.0 - x) - math.pi / math.tan(math.pi * x)
    acc = 0.0
    while x < 10.0:
        acc -= 1.0 / x
        x += 1.0
    inv2 = 1.0 / (x * x)
    s = 0.0
    p = inv2
    for k in range(10):
        s += _BERN[k] / (2 * (k + 1)) * p
        p *= inv2
    return acc + math.log(x) - 0.5 / x - s


@njit(cache=True, error_model="numpy")
def polygamma1(n: int, x: float) -> float:
    """psi^(n)(x) for n >= 1 (recurrence up to 20, asymptotic series), with PyTorch's values
    at the edges: +-inf at the poles (x = 0, -1, ...) and for n past float64's factorials, 0
    (n = 1) or NaN at x = inf, NaN (n = 1) or +-inf at x = -inf."""
    sign = 1.0 if n % 2 == 1 else -1.0  # (-1)^(n+1)
    if n > 170:  # n! is past float64: +-inf whatever x is (as PyTorch for such orders)
        return sign * math.inf
    if x != x:
        return math.nan
    if x == math.inf:
        return 0.0 if n == 1 else math.nan
    if x == -math.inf:
        return math.nan if n == 1 else sign * math.inf
    if x <= 0.0 and x == math.floor(x):
        return sign * math.inf  # a pole
    if x < -1e6:
        return math.nan  # the recurrence up to 20 would take millions of steps
    fact = 1.0  # n!
    for i in range(2, n + 1):
        fact *= i
        if fact == math.inf:  # n > 170: past float64 (and every loop below would be as long)
            return sign * math.inf
    acc = 0.0
    while x < 20.0:
        acc += fact / x ** (n + 1)
        x += 1.0
    # (n-1)!/x^n + n!/(2 x^(n+1)) + sum B_2k (2k+n-1)!/((2k)! x^(2k+n))
    s = fact / n / x**n + fact / (2.0 * x ** (n + 1))
    for k in range(1, 11):
        # (2k+n-1)! / (2k)!
        r = 1.0
        for i in range(2 * k + 1, 2 * k + n):
            r *= i
        s += _BERN[k - 1] * r / x ** (2 * k + n)
    return sign * (acc + s)


@njit(cache=True, error_model="numpy", parallel=True)
def _lgamma(x, out):
    for i in prange(x.size):
        out[i] = math.lgamma(np.float64(x[i]))


@njit(cache=True, error_model="numpy", parallel=True)
def _digamma(x, out):
    for i in prange(x.size):
        out[i] = digamma1(np.float64(x[i]))


@njit(cache=True, error_model="numpy", parallel=True)
def _polygamma(n, x, out):
    for i in prange(x.size):
        out[i] = polygamma1(n, np.float64(x[i]))


def _unary(kernel, x: np.ndarray, *lead) -> np.ndarray:
    flat = np.ascontiguousarray(x).reshape(-1)
    out = np.empty(flat.shape, np.float64)
    kernel(*lead, flat, out)
    return out.astype(x.dtype, copy=False).reshape(x.shape)


def lgamma(x: np.ndarray) -> np.ndarray:
    """log |Gamma(x)| elementwise."""
    return _unary(_lgamma, x)


def digamma(x: np.ndarray) -> np.ndarray:
    """psi(x) = d/dx log Gamma(x) elementwise."""
    return _unary(_digamma, x)


def polygamma(n: int, x: np.ndarray) -> np.ndarray:
    """The n-th derivative of digamma, elementwise (n >= 1)."""
    return _unary(_polygamma, x, np.int64(n))


# ---- the regularised incomplete gamma function ----------------------------------------------
@njit(cache=True, error_model="numpy")
def _log_lower(a: float, x: float) -> float:
    """log P(a, x) by its power series (converges fast for x < a + 1)."""
    term = 1.0 / a
    total = term
    for n in range(1, 100000):
        term *= x / (a + n)
        total += term
        if abs(term) < abs(total) * 1e-17:
            break
    return a * math.log(x) - x - math.lgamma(a) + math.log(total)


@njit(cache=True, error_model="numpy")
def _log_upper(a: float, x: float) -> float:
    """log Q(a, x) by its continued fraction (modified Lentz; converges fast for x >= a + 1)."""
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 100000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        if abs(d) < tiny:
            d = tiny
        c = b + an / c
        if abs(c) < tiny:
            c = tiny
        d = 1.0 / d
        step = d * c
        h *= step
        if abs(step - 1.0) < 1e-16:
            break
    return a * math.log(x) - x - math.lgamma(a) + math.log(h)


@njit(cache=True, error_model="numpy")
def _log_tail(a: float, x: float, lower: bool) -> float:
    """log P(a, x) when `lower`, else log Q(a, x), by whichever expansion converges."""
    if x < a + 1.0:
        lp = _log_lower(a, x)
        return lp if lower else math.log1p(-math.exp(lp))
    lq = _log_upper(a, x)
    return math.log1p(-math.exp(lq)) if lower else lq


@njit(cache=True, error_model="numpy")
def gamma_dx_da1(x: float, a: float) -> float:
    """d x / d a of a Gamma(a, 1) draw x held at its quantile: -(dP/da) / pdf (implicit)."""
    if not x > 0.0:
        return 0.0
    lower = x < a + 1.0
    h = 1e-5 * max(a, 1e-3)
    dlog = (_log_tail(a + h, x, lower) - _log_tail(a - h, x, lower)) / (2.0 * h)
    log_pdf = (a - 1.0) * math.log(x) - x - math.lgamma(a)
    ratio = math.exp(_log_tail(a, x, lower) - log_pdf)
    return -dlog * ratio if lower else dlog * ratio


@njit(cache=True, error_model="numpy")
def gamma_transport1(a: float, x: float, a0: float) -> float:
    """The Gamma(a) quantile of the Gamma(a0) draw x: y with P(a, y) = P(a0, x) (x if a == a0)."""
    if a == a0 or not x > 0.0:
        return x
    lower = x < a0 + 1.0
    target = _log_tail(a0, x, lower)
    z = math.log(x)
    for _ in range(200):
        y = math.exp(z)
        f = _log_tail(a, y, lower) - target
        log_pdf = (a - 1.0) * z - y - math.lgamma(a)
        slope = math.exp(log_pdf + z - _log_tail(a, y, lower))
        step = f / slope if lower else -f / slope
        z -= step
        if abs(step) < 1e-15:
            break
    return math.exp(z)


@njit(cache=True, error_model="numpy", parallel=True)
def _gamma_grad(x, a, out):
    for i in prange(x.size):
        out[i] = gamma_dx_da1(np.float64(x[i]), np.float64(a[i]))


@njit(cache=True, error_model="numpy", parallel=True)
def _gamma_transport(a, x, a0, out):
    for i in prange(x.size):
        out[i] = gamma_transport1(np.float64(a[i]), np.float64(x[i]), np.float64(a0[i]))


def _flat(*xs: np.ndarray) -> list:
    return [np.ascontiguousarray(x).reshape(-1) for x in xs]


def gamma_grad(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The implicit reparameterisation gradient d x / d a of Gamma(a, 1) draws x."""
    out = np.empty(x.size, np.float64)
    _gamma_grad(*_flat(x, a), out)
    return out.astype(x.dtype, copy=False).reshape(x.shape)


def gamma_transport(a: np.ndarray, x: np.ndarray, a0: np.ndarray) -> np.ndarray:
    """The Gamma(a) quantiles of Gamma(a0) draws x (x itself where a == a0)."""
    if a is a0 or np.array_equal(a, a0):
        return np.array(x, copy=True)
    out = np.empty(x.size, np.float64)
    _gamma_transport(*_flat(a, x, a0), out)
    return out.astype(x.dtype, copy=False).reshape(x.shape)


# ---- sampling --------------------------------------------------------------------------------
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True, error_model="numpy")
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True, error_model="numpy")
def _uniform(state):
    """(new state, a uniform draw on (0, 1)) from a splitmix64 stream."""
    state = state + _GOLDEN
    bits = _mix(state) >> np.uint64(11)
    return state, (np.float64(bits) + 0.5) * (1.0 / 9007199254740992.0)


@njit(cache=True, error_model="numpy")
def _standard_gamma1(a: float, state):
    """A Gamma(a, 1) draw (Marsaglia-Tsang; boosted by u^(1/a) below a = 1), in log space."""
    boost = 0.0
    if a < 1.0:
        state, u = _uniform(state)
        boost = math.log(u) / a
        a += 1.0
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        state, u1 = _uniform(state)
        state, u2 = _uniform(state)
        z = math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
        v = 1.0 + c * z
        if v <= 0.0:
            continue
        v = v * v * v
        state, u = _uniform(state)
        if math.log(u) < 0.5 * z * z + d - d * v + d * math.log(v):
            return math.log(d * v) + boost


@njit(cache=True, error_model="numpy", parallel=True)
def _standard_gamma(a, seed, tiny, out):
    for i in prange(a.size):
        # each element has its own stream: the draws do not depend on the thread count
        state = _mix(seed + np.uint64(i) * _GOLDEN)
        out[i] = max(math.exp(_standard_gamma1(np.float64(a[i]), state)), tiny)


def standard_gamma(a: np.ndarray, seed: int) -> np.ndarray:
    """Gamma(a, 1) draws shaped like `a` from the stream of `seed` (values below the dtype's
    smallest normal number are raised to it, as PyTorch clamps them)."""
    flat = np.ascontiguousarray(a).reshape(-1)
    out = np.empty(flat.size, np.float64)
    tiny = float(np.finfo(a.dtype).tiny)
    _standard_gamma(flat, np.uint64(seed), tiny, out)
    return out.astype(a.dtype, copy=False).reshape(a.shape)


# ---- the regularised lower incomplete gamma function P(a, x) and its a-derivative ----------
@njit(cache=True, error_model="numpy")
def _igamma_finite(a: float, x: float) -> float:
    # P(a, x) for finite a > 0 and finite x > 0
    if x < a + 1.0:
        return math.exp(_log_lower(a, x))
    return -math.expm1(_log_upper(a, x))


@njit(cache=True, error_model="numpy")
def igamma1(a: float, x: float, tf_edges: bool = False) -> float:
    """P(a, x) = gamma(a, x) / Gamma(a), with each anchor's values at the edges of the domain:

    PyTorch: NaN for x < 0 or a < 0; at a = 0, 1 for x > 0 (else NaN); 0 at x = 0; at a = inf,
    0 (NaN when x is inf too); 1 at x = inf. TF (`tf_edges`): 0 at x = 0 whatever a is; NaN for
    x < 0, a <= 0 or a NaN operand; 0 at a = inf; 1 at x = inf.
    """
    if tf_edges:
        if x == 0.0:
            return 0.0
        if x < 0.0 or a <= 0.0 or a != a or x != x:
            return math.nan
        if a == math.inf:
            return 0.0
        if x == math.inf:
            return 1.0
        return _igamma_finite(a, x)
    if x < 0.0 or a < 0.0:
        return math.nan
    if a == 0.0:
        return 1.0 if x > 0.0 else math.nan
    if x == 0.0:
        return 0.0
    if a == math.inf:
        return math.nan if x == math.inf else 0.0
    if x == math.inf:
        return 1.0
    if a != a or x != x:
        return math.nan
    return _igamma_finite(a, x)


@njit(cache=True, error_model="numpy")
def igamma_da1(a: float, x: float) -> float:
    """d P(a, x) / d a, by central differences of log P (or log Q in the upper tail)."""
    if not a > 0.0 or not x > 0.0 or x == math.inf:
        return 0.0
    lower = x < a + 1.0
    h = 1e-5 * max(a, 1e-3)
    dlog = (_log_tail(a + h, x, lower) - _log_tail(a - h, x, lower)) / (2.0 * h)
    tail = math.exp(_log_tail(a, x, lower))
    return dlog * tail if lower else -dlog * tail


@njit(cache=True, error_model="numpy", parallel=True)
def _igamma(a, x, out):
    for i in prange(x.size):
        out[i] = igamma1(np.float64(a[i]), np.float64(x[i]), False)


@njit(cache=True, error_model="numpy", parallel=True)
def _igamma_tf(a, x, out):
    for i in prange(x.size):
        out[i] = igamma1(np.float64(a[i]), np.float64(x[i]), True)


@njit(cache=True, error_model="numpy", parallel=True)
def _igamma_da(a, x, out):
    for i in prange(x.size):
        out[i] = igamma_da1(np.float64(a[i]), np.float64(x[i]))


def _binary(kernel, a: np.ndarray, x: np.ndarray) -> np.ndarray:
    shape = np.broadcast_shapes(a.shape, x.shape)
    fa, fx = (np.ascontiguousarray(np.broadcast_to(v, shape)).reshape(-1) for v in (a, x))
    out = np.empty(fa.size, np.float64)
    kernel(fa, fx, out)
    return out.astype(np.result_type(a.dtype, x.dtype), copy=False).reshape(shape)


def igamma(a: np.ndarray, x: np.ndarray, edges: str = "torch") -> np.ndarray:
    """The regularised lower incomplete gamma function P(a, x), broadcast; `edges` ("torch" or
    "tf") picks which anchor's values it gives at the edges of the domain (see igamma1)."""
    return _binary(_igamma_tf if edges == "tf" else _igamma, a, x)


def igamma_da(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """d P(a, x) / d a, broadcast."""
    return _binary(_igamma_da, a, x)


# ---- the inverse error function -------------------------------------------------------------

_SQRT_PI_OVER_2 = 0.8862269254527580  # sqrt(pi) / 2


@njit(cache=True, error_model="numpy")
def erfinv1(y: float) -> float:
    """The x with erf(x) = y, for y in [-1, 1] (+-inf at +-1, NaN outside), to float64 precision."""
    if np.isnan(y) or y < -1.0 or y > 1.0:
        return np.nan
    if y == 1.0:
        return np.inf
    if y == -1.0:
        return -np.inf
    a = abs(y)
    # a polynomial start (single precision) in w = -log(1 - y^2), then Newton steps on erf
    w = -np.log((1.0 - a) * (1.0 + a))
    if w < 5.0:
        w -= 2.5
        p = 2.81022636e-08
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):  # fmt: skip
            p = c + p * w
    else:
        w = np.sqrt(w) - 3.0
        p = -0.000200214257
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                  -0.0076224613, 0.00943887047, 1.00167406, 2.83297682):  # fmt: skip
            p = c + p * w
    x = p * a
    if a < 0.5:
        for _ in range(3):  # Newton on erf(x) = a
            x -= (math.erf(x) - a) * _SQRT_PI_OVER_2 * math.exp(x * x)
    else:
        # Newton on log erfc(x) = log(1 - a): 1 - a is exact here, erfc keeps the tail's digits
        # and the log makes the function nearly linear in x where erf saturates
        target = math.log(1.0 - a)
        for _ in range(4):
            e = math.erfc(x)
            x += (math.log(e) - target) * e * _SQRT_PI_OVER_2 * math.exp(x * x)
    return math.copysign(x, y)  # odd, and erfinv(-0.0) is -0.0


@njit(cache=True, error_model="numpy", parallel=True)
def _erfinv(x, out):
    for i in prange(x.size):
        out[i] = erfinv1(np.float64(x[i]))


def erfinv(x: np.ndarray) -> np.ndarray:
    """The inverse error function elementwise."""
    return _unary(_erfinv, x)
