"""Scalar helpers shared by every kernel: a stable sigmoid and logistic loss.

Both are written around ``e = exp(-|z|)``, which lies in (0, 1] for every
finite ``z``: nothing overflows, and ``log1p(e)`` never sees 0 or ``inf``.
One ``exp`` and one ``log1p`` per sample serve the probability, the loss and
(through the probability) the gradient.

Two forms of the same helpers live here:

- :func:`sigmoid_and_loss` calls libm's ``exp`` and ``log1p``. PyPI's llvmlite
  has no SVML, so a loop over these calls is not vectorised; it serves
  kernels that work one row at a time anyway (``sag.py``).
- :func:`exp_nonpos` and :func:`log1p_unit` are the same functions written as
  plain arithmetic on their restricted domains (a Cody-Waite reduction and a
  degree-13 Taylor polynomial for ``exp``, an ``atanh`` series for ``log1p``),
  so that LLVM vectorises a loop over rows that calls them. They are within
  1 ulp (``exp``) and 2 ulp (``log1p``) of libm;
  ``tests/test_kernels_dense.py::test_vector_exp_log1p_match_libm`` checks
  that on a dense sample of the whole domain, subnormals and inf/nan.

The kernels are compiled with ``reassoc``, which lets LLVM regroup ordinary
additions: ``(x - k ln2_hi) - k ln2_lo`` would be folded back into one
product (108 ulp instead of 1). Every rounding-sensitive step of the
polynomials therefore goes through :func:`fma`, the ``llvm.fma`` intrinsic,
which no fast-math flag lets LLVM split or regroup.
"""

from math import exp, log1p

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

# Reassociation lets LLVM vectorise the dot products and gradient sums; "nnan"
# and "ninf" are left out so that inf/nan keep their IEEE meaning (as stumpy
# does). Read once here and used by every kernel.
FASTMATH = {"reassoc", "contract", "nsz"}
JIT = {"cache": True, "nogil": True, "fastmath": FASTMATH}
# The dense kernels also take NumPy's error model: with Python's, every
# float division carries a test and a ZeroDivisionError exit, and that branch
# alone keeps LLVM from vectorising the per-row sigmoid. A division by zero
# gives inf/nan instead, which the kernels' callers cannot produce (the
# weights' sum is validated positive; 1 + e >= 1).
DENSE_JIT = {**JIT, "error_model": "numpy"}


@njit(inline="always", **JIT)
def sigmoid_and_loss(z, y):
    """Return ``(sigmoid(z), softplus(z) - y z)`` for one sample, both finite."""
    e = exp(-abs(z))
    if z >= 0.0:
        p = 1.0 / (1.0 + e)
    else:
        p = e / (1.0 + e)
    # For z > 0, softplus(z) - y z = log1p(e) + (1 - y) z, which avoids the
    # cancellation z - z for y = 1 (scikit-learn's HalfBinomialLoss does the same).
    if z > 0.0:
        loss = log1p(e) + (1.0 - y) * z
    else:
        loss = log1p(e) - y * z
    return p, loss


@intrinsic
def fma(typingctx, a, b, c):
    """``a * b + c`` with one rounding (``llvm.fma.f64``); never reassociated."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        f64 = ir.DoubleType()
        fn = builder.module.declare_intrinsic("llvm.fma", [f64],
                                              ir.FunctionType(f64, [f64, f64, f64]))
        return builder.call(fn, args)

    return sig, codegen


@intrinsic
def float_from_bits(typingctx, bits):
    """Reinterpret an int64 as the float64 with the same bits."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


_LOG2E = 1.4426950408889634
# ln 2 split so that k * _LN2_HI is exact for |k| < 2**11 (fdlibm's constants).
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
# Below this exp(x) rounds to 0 (the smallest subnormal is exp(-744.44)).
_EXP_MIN = -745.5


# exp(r)'s Taylor coefficients 1/13!, 1/12!, ..., 1/2!, 1, 1 and atanh(s)/s's
# series in t = s**2, 1/35, 1/33, ..., 1/3: highest power first, for horner.
_EXP_TAYLOR = (1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0,
               1.0 / 362880.0, 1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0,
               1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0)
_ATANH_SERIES = tuple(1.0 / n for n in range(35, 1, -2))


@njit(inline="always", **DENSE_JIT)
def horner(coeffs, x):
    """``coeffs[0] x**(n-1) + ... + coeffs[n-1]`` by Horner's rule, one
    :func:`fma` a step (a constant tuple: LLVM unrolls the loop, and the
    loops over rows that call it still vectorise)."""
    p = coeffs[0]
    for c in coeffs[1:]:
        p = fma(p, x, c)
    return p


@njit(inline="always", **DENSE_JIT)
def exp_nonpos(x):
    """``exp(x)`` for ``x <= 0`` (and -inf, nan), vectorisable, within 1 ulp.

    ``x = k ln2 + r`` with ``|r| <= ln2 / 2``; ``exp(r)`` by its Taylor
    polynomial of degree 13 (truncation 4e-18 relative); ``2**k`` built from
    its bits in two halves so that results down to the subnormals are right.
    """
    xc = x if x > _EXP_MIN else _EXP_MIN  # also maps nan to a harmless value
    k = np.floor(xc * _LOG2E + 0.5)
    r = fma(-k, _LN2_HI, xc)
    r = fma(-k, _LN2_LO, r)
    p = horner(_EXP_TAYLOR, r)
    ki = np.int64(k)  # in [-1076, 0]
    k1 = ki >> 1
    e = p * float_from_bits((k1 + 1023) << 52) * float_from_bits((ki - k1 + 1023) << 52)
    e = e if x > _EXP_MIN else 0.0
    return e if x == x else x


@njit(inline="always", **DENSE_JIT)
def log1p_unit(e):
    """``log1p(e)`` for ``0 <= e <= 1`` (and nan), vectorisable, within 2 ulp.

    ``log1p(e) = 2 atanh(s)`` with ``s = e / (2 + e)`` in [0, 1/3]: no
    cancellation for small ``e``, and the odd series in ``s`` converges as
    ``9**-n``; 18 terms leave a truncation below 1e-17.
    """
    s = e / (2.0 + e)
    t = s * s
    q = horner(_ATANH_SERIES, t)
    q = q * t
    return 2.0 * fma(s, q, s)


def literal_flag(flag) -> bool:
    """The value of a boolean argument typed as a literal (at compile time).

    Overloads that pick the serial or the ``prange`` pass call it, so that a
    program compiles only the pass it runs; their callers make the flag a
    literal with ``numba.literally`` and are entered through one compiled
    function per value (``dense.loss_grad`` and friends).
    """
    if isinstance(flag, types.BooleanLiteral):
        return flag.literal_value
    from numba.core.errors import TypingError

    raise TypingError(f"parallel must be a compile-time constant, got {flag}")
