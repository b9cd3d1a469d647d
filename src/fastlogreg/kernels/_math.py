"""Scalar helpers shared by every kernel: a stable sigmoid and logistic loss.

Both are written around ``e = exp(-|z|)``, which lies in (0, 1] for every
finite ``z``: nothing overflows, and ``log1p(e)`` never sees 0 or ``inf``.
One ``exp`` and one ``log1p`` per sample serve the probability, the loss and
(through the probability) the gradient.
"""

from math import exp, log1p

from numba import njit

# Reassociation lets LLVM vectorise the dot products and gradient sums; "nnan"
# and "ninf" are left out so that inf/nan keep their IEEE meaning (as stumpy
# does). Read once here and used by every kernel.
FASTMATH = {"reassoc", "contract", "nsz"}
JIT = {"cache": True, "nogil": True, "fastmath": FASTMATH}


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
