"""L-BFGS in ask/tell form: SciPy's L-BFGS-B iteration (without bounds), ours.

SciPy's ``minimize(method="L-BFGS-B")`` owns its loop: it calls the objective
and waits. A batch of models that share each read of X (one pass evaluates
all of them, :mod:`fastlogreg.kernels.batched`) cannot live inside that loop,
so the iteration is written here as a state that is *asked* for the next point
to evaluate and *told* the loss and gradient there::

    state = LBFGSState(theta0, tol=1e-4, max_iter=100)
    while (theta := state.ask()) is not None:
        state.tell(loss(theta), gradient(theta))

Any number of states advance in lockstep, each consuming one evaluation per
round (:mod:`.batched_lbfgs`).

The iteration is L-BFGS-B's for unbounded variables, step for step:

* direction ``-H g`` from the two-loop recursion over the last ``m = 10``
  pairs ``(s, y)`` in float64, with ``H0 = (s'y / y'y) I`` (the inverse of
  L-BFGS-B's compact ``B0 = theta I``: the same direction up to rounding);
  a pair is skipped when ``s'y <= eps * (-g's)`` as L-BFGS-B skips it;
* the first step ``1 / ||d||``, every later one starting at 1, found by the
  More-Thuente line search (MINPACK-2's ``dcsrch``/``dcstep``, as ported
  to Python in ``scipy.optimize._dcsrch``) with ``ftol=1e-3``, ``gtol=0.9``,
  ``xtol=0.1``; after ``maxls`` evaluations without an acceptable step the
  memory is dropped and the iteration restarts from steepest descent (or
  stops, status 2, if it had no memory);
* scikit-learn's stopping rules and options: converged (status 0) when the
  max-norm of the gradient is ``<= tol`` (``gtol``) or the relative decrease
  ``(f_old - f) / max(|f_old|, |f|, 1) <= ftol`` (``64 eps``); status 1 when
  ``max_iter`` iterations are done (counted as SciPy counts ``nit``).

``tests/test_lbfgs_core.py`` checks the iterates against SciPy's on the
oracle's problem.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..kernels._math import JIT, float_from_bits

__all__ = ["LBFGSState"]

_EPS = np.finfo(np.float64).eps
_STPMAX = 1e10  # L-BFGS-B's step bound without box constraints ("big")
_LS_FTOL, _LS_GTOL, _LS_XTOL = 1e-3, 0.9, 0.1

# states of the state machine
_START, _SEARCH, _DONE = 0, 1, 2


def _cubic(f0, f1, t0, t1, d0, d1, clamp=False):
    """``theta`` and ``|gamma|`` of the cubic through ``(t0, f0, d0)`` and
    ``(t1, f1, d1)``, as dcstep computes them (scaled by ``s`` against
    overflow; ``clamp`` takes the square root of ``max(0, .)``)."""
    theta = 3.0 * (f0 - f1) / (t1 - t0) + d0 + d1
    s = max(abs(theta), abs(d0), abs(d1))
    disc = (theta / s) ** 2 - (d0 / s) * (d1 / s)
    return theta, s * np.sqrt(max(0.0, disc) if clamp else disc)


def _cubic_min(theta, gamma, ta, tb, da, db):
    """The cubic's minimiser between ``ta`` and ``tb``, in dcstep's form from
    ``ta`` (slope ``da``) towards ``tb`` (slope ``db``)."""
    if tb < ta:
        gamma = -gamma
    p = (gamma - da) + theta
    q = ((gamma - da) + gamma) + db
    return ta + p / q * (tb - ta)


def _dcstep(stx, fx, dx, sty, fy, dy, stp, fp, dp, brackt, stpmin, stpmax):
    """MINPACK-2's safeguarded cubic/quadratic step (``scipy.optimize._dcsrch.dcstep``)."""
    sgnd = np.sign(dp) * np.sign(dx)
    if fp > fx:
        stpc = _cubic_min(*_cubic(fx, fp, stx, stp, dx, dp), stx, stp, dx, dp)
        stpq = stx + ((dx / ((fx - fp) / (stp - stx) + dx)) / 2.0) * (stp - stx)
        stpf = stpc if abs(stpc - stx) <= abs(stpq - stx) else stpc + (stpq - stpc) / 2.0
        brackt = True
    elif sgnd < 0.0:
        stpc = _cubic_min(*_cubic(fx, fp, stx, stp, dx, dp), stp, stx, dp, dx)
        stpq = stp + (dp / (dp - dx)) * (stx - stp)
        stpf = stpc if abs(stpc - stp) > abs(stpq - stp) else stpq
        brackt = True
    elif abs(dp) < abs(dx):
        theta, gamma = _cubic(fx, fp, stx, stp, dx, dp, clamp=True)
        if stp > stx:
            gamma = -gamma
        p = (gamma - dp) + theta
        q = (gamma + (dx - dp)) + gamma
        r = p / q
        if r < 0 and gamma != 0:
            stpc = stp + r * (stx - stp)
        elif stp > stx:
            stpc = stpmax
        else:
            stpc = stpmin
        stpq = stp + (dp / (dp - dx)) * (stx - stp)
        if brackt:
            stpf = stpc if abs(stpc - stp) < abs(stpq - stp) else stpq
            if stp > stx:
                stpf = min(stp + 0.66 * (sty - stp), stpf)
            else:
                stpf = max(stp + 0.66 * (sty - stp), stpf)
        else:
            stpf = stpc if abs(stpc - stp) > abs(stpq - stp) else stpq
            stpf = min(max(stpf, stpmin), stpmax)
    else:
        if brackt:
            stpf = _cubic_min(*_cubic(fp, fy, stp, sty, dy, dp), stp, sty, dp, dy)
        elif stp > stx:
            stpf = stpmax
        else:
            stpf = stpmin
    if fp > fx:
        sty, fy, dy = stp, fp, dp
    else:
        if sgnd < 0:
            sty, fy, dy = stx, fx, dx
        stx, fx, dx = stp, fp, dp
    return stx, fx, dx, sty, fy, dy, stpf, brackt


# --- the optimiser's vector sweeps ----------------------------------------------------
# On wide data the history (2 x memory vectors of n float64) is larger than the
# caches, so the step costs what it reads. Each sweep below is one compiled
# read of its vectors that fuses what NumPy would run one after another (an
# update, then the next dot product with the updated entries) and allocates
# nothing of size n. The sweeps run on one thread: they are bound by memory,
# and a second thread did not make them faster on a 2-core machine
# (``scripts/wide_sparse.py`` prints the optimiser's share of a fit). They
# touch coefficient-sized vectors only, never rows;
# ``tests/test_lbfgs_core.py`` follows SciPy's iterates through them.
#
# Same bits wherever the vectors lie in memory: a chunk first stores (loops
# LLVM guards with a test of how far apart the arrays are, taking a scalar
# copy of the loop when they are close), then sums in loops that only load
# (one vectorised form, whatever the addresses), and the sweeps are compiled
# without "contract", so that the vector and the scalar copy of a store loop
# round alike (no fused multiply-add in one and not the other). Dot products
# are summed per chunk of ``_CHUNK`` entries, chunks in order
# (``tests/test_lbfgs_core.py::test_sweeps_do_not_depend_on_where_arrays_lie``).

_JIT = {**JIT, "fastmath": JIT["fastmath"] - {"contract"}}
_CHUNK = 8192
_UPDATE, _FILL, _SLOPE, _PAIR = 0, 1, 2, 3
_ABS_BITS = 0x7FFFFFFFFFFFFFFF  # a float64's bits without its sign


@njit(inline="always", **_JIT)
def _nanmax(a, b):
    """``max(a, b)``, but nan if either is: a nan gradient must never pass ``tol``."""
    return a if (a >= b or a != a) else b


@njit(inline="always", **_JIT)
def _axpby(dst, src, c, u, scale):
    """``dst = (src + c u) scale`` (``src scale`` when ``c == 0``). Inlined, so
    that LLVM sees ``dst is src`` when it is."""
    if c == 0.0:
        for j in range(dst.shape[0]):
            dst[j] = src[j] * scale
    else:
        for j in range(dst.shape[0]):
            dst[j] = (src[j] + c * u[j]) * scale


@njit(inline="always", **_JIT)
def _dots(u, v, w):
    """``(u'v, w'w)``, loads only."""
    p0 = 0.0
    p1 = 0.0
    for j in range(u.shape[0]):
        p0 += u[j] * v[j]
        p1 += w[j] * w[j]
    return p0, p1


@njit(inline="always", **_JIT)
def _chunk(op, lo, hi, A, B, C, D, E, c, scale, part):
    """One chunk ``lo:hi`` of a sweep; its two partial results go to ``part``.

    * ``_UPDATE``: ``A = (A + c C) scale`` in place; ``part = (D'A, A'A)``.
    * ``_FILL``: ``A = (B + c C) scale`` (``B scale`` when ``c == 0``), ``B``
      another array than ``A``; ``part = (D'A, A'A)``.
    * ``_SLOPE``: ``part = (A'B, max |A|)``.
    * ``_PAIR``: ``A = c C`` (``s = stp d``), ``B = D - E`` (``y = g - r``);
      ``part = (A'B, B'B)``.
    """
    # slices of the chunk: LLVM vectorises a loop over a slice from 0, not one
    # over range(lo, hi) of the whole vector
    a, b, cc, d, e = A[lo:hi], B[lo:hi], C[lo:hi], D[lo:hi], E[lo:hi]
    if op == _UPDATE:
        _axpby(a, a, c, cc, scale)
        part[0], part[1] = _dots(d, a, a)
    elif op == _FILL:
        _axpby(a, b, c, cc, scale)
        part[0], part[1] = _dots(d, a, a)
    elif op == _SLOPE:
        # max |a| taken on the bits: |a|'s bit patterns order as the values do
        # and a nan's lie above inf's, so the maximum keeps a nan, and an
        # integer maximum vectorises where a float one with a nan test does not
        # (tests/test_lbfgs_core.py::test_the_gradients_max_norm_keeps_a_nan)
        bits = A.view(np.int64)[lo:hi]
        p0 = 0.0
        top = 0
        for j in range(hi - lo):
            p0 += a[j] * b[j]
            v = bits[j] & _ABS_BITS
            top = v if v > top else top
        part[0] = p0
        part[1] = float_from_bits(top)
    else:
        for j in range(hi - lo):
            a[j] = c * cc[j]
            b[j] = d[j] - e[j]
        part[0], part[1] = _dots(a, b, b)


@njit(**_JIT)
def _combine(op, parts):
    """The chunks' partials in chunk order (the maximum for ``_SLOPE``'s second)."""
    r0 = 0.0
    r1 = 0.0
    for k in range(parts.shape[0]):
        r0 += parts[k, 0]
        r1 = _nanmax(r1, parts[k, 1]) if op == _SLOPE else r1 + parts[k, 1]
    return r0, r1


@njit(**_JIT)
def _sweep_chunks(op, A, B, C, D, E, c, scale):
    n = A.shape[0]
    parts = np.empty(((n + _CHUNK - 1) // _CHUNK, 2))
    for k in range(parts.shape[0]):
        _chunk(op, k * _CHUNK, min(n, (k + 1) * _CHUNK), A, B, C, D, E, c, scale, parts[k])
    return _combine(op, parts)


def _sweep(op, A, B=None, C=None, D=None, E=None, c=0.0, scale=1.0):
    """Run one sweep (see :func:`_chunk`); arguments a sweep does not read are
    passed as ``A``."""
    return _sweep_chunks(op, A, *(A if v is None else v for v in (B, C, D, E)), float(c),
                         float(scale))


def _two_loop(S, Y, rho, yy, order, g, q, a):
    """``q = -H g`` by the two-loop recursion over the pairs ``order`` (newest
    first), ``H0 = (s'y / y'y) I`` from the newest pair; returns ``(g'q, q'q)``.

    Each sweep finishes one pair's update of ``q`` and takes the next pair's
    dot product with the updated entries: ``2 k + 1`` reads of ``q``.
    """
    k = len(order)
    if k == 0:
        return _sweep(_FILL, q, g, D=g, scale=-1.0)
    dot, _ = _sweep(_FILL, q, g, D=S[order[0]], scale=-1.0)
    gamma = 1.0 / (rho[order[0]] * yy[order[0]])
    for i in range(k):  # newest first: a_i = rho_i s_i'q, q -= a_i y_i
        a[i] = rho[order[i]] * dot
        if i + 1 < k:
            dot, _ = _sweep(_UPDATE, q, C=Y[order[i]], D=S[order[i + 1]], c=-a[i])
        else:  # then q *= gamma, and the second loop's first dot (the same pair)
            dot, _ = _sweep(_UPDATE, q, C=Y[order[i]], D=Y[order[i]], c=-a[i], scale=gamma)
    for i in range(k - 1, 0, -1):  # oldest first: q += (a_i - rho_i y_i'q) s_i
        dot, _ = _sweep(_UPDATE, q, C=S[order[i]], D=Y[order[i - 1]],
                        c=a[i] - rho[order[i]] * dot)
    return _sweep(_UPDATE, q, C=S[order[0]], D=g, c=a[0] - rho[order[0]] * dot)


class _MoreThuente:
    """MINPACK-2's ``dcsrch`` in reverse communication: :meth:`step` takes
    ``(stp, f, g)`` at the last trial and returns the next trial step, or
    None once the search has ended (converged, or a warning that L-BFGS-B
    also takes as the end of the search)."""

    def __init__(self, stp, f, g):
        self.brackt = False
        self.stage = 1
        self.finit, self.ginit = f, g
        self.gtest = _LS_FTOL * g
        self.width = _STPMAX
        self.width1 = _STPMAX / 0.5
        self.stx, self.fx, self.gx = 0.0, f, g
        self.sty, self.fy, self.gy = 0.0, f, g
        self.stmin = 0.0
        self.stmax = stp + 4.0 * stp

    def step(self, stp, f, g):
        ftest = self.finit + stp * self.gtest
        if self.stage == 1 and f <= ftest and g >= 0:
            self.stage = 2
        if self.brackt and (stp <= self.stmin or stp >= self.stmax):
            return None  # rounding errors prevent progress
        if self.brackt and self.stmax - self.stmin <= _LS_XTOL * self.stmax:
            return None  # xtol test satisfied
        if stp == _STPMAX and f <= ftest and g <= self.gtest:
            return None
        if stp == 0.0 and (f > ftest or g >= self.gtest):
            return None
        if f <= ftest and abs(g) <= _LS_GTOL * -self.ginit:
            return None  # strong Wolfe conditions: converged
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            if self.stage == 1 and f <= self.fx and f > ftest:
                gt = self.gtest
                (self.stx, fxm, gxm, self.sty, fym, gym, stp,
                 self.brackt) = _dcstep(self.stx, self.fx - self.stx * gt, self.gx - gt,
                                        self.sty, self.fy - self.sty * gt, self.gy - gt,
                                        stp, f - stp * gt, g - gt, self.brackt,
                                        self.stmin, self.stmax)
                self.fx, self.fy = fxm + self.stx * gt, fym + self.sty * gt
                self.gx, self.gy = gxm + gt, gym + gt
            else:
                (self.stx, self.fx, self.gx, self.sty, self.fy, self.gy, stp,
                 self.brackt) = _dcstep(self.stx, self.fx, self.gx, self.sty, self.fy,
                                        self.gy, stp, f, g, self.brackt, self.stmin,
                                        self.stmax)
        if self.brackt:
            if abs(self.sty - self.stx) >= 0.66 * self.width1:
                stp = self.stx + 0.5 * (self.sty - self.stx)
            self.width1 = self.width
            self.width = abs(self.sty - self.stx)
            self.stmin = min(self.stx, self.sty)
            self.stmax = max(self.stx, self.sty)
        else:
            self.stmin = stp + 1.1 * (stp - self.stx)
            self.stmax = stp + 4.0 * (stp - self.stx)
        stp = min(max(stp, 0.0), _STPMAX)
        if self.brackt and (stp <= self.stmin or stp >= self.stmax
                            or self.stmax - self.stmin <= _LS_XTOL * self.stmax):
            stp = self.stx
        if not np.isfinite(stp):
            return None
        return stp


class LBFGSState:
    """One L-BFGS minimisation driven from outside (see the module docstring).

    Parameters
    ----------
    theta0 : (n,) array_like
        Starting point (copied).
    tol : float
        ``gtol``: stop when ``max |g| <= tol``.
    max_iter : int
        Iterations (SciPy's ``maxiter``).
    ftol : float, default=64 * eps
        Relative decrease of the objective that counts as converged.
    maxls : int, default=50
        Evaluations per line search.
    memory : int, default=10
        Pairs ``(s, y)`` kept (SciPy's ``maxcor``).

    Attributes
    ----------
    x, f, g : the current iterate, its objective and gradient
    n_iter : int
        Completed iterations.
    status : int
        -1 running, 0 converged, 1 ``max_iter`` reached, 2 abnormal (no
        descent or no acceptable step without memory, or a non-finite loss).
    """

    def __init__(self, theta0, *, tol: float, max_iter: int,
                 ftol: float = 64 * _EPS, maxls: int = 50, memory: int = 10):
        self.x = np.array(theta0, dtype=np.float64)
        n = self.x.shape[0]
        self.tol, self.max_iter, self.ftol, self.maxls = tol, max_iter, ftol, maxls
        self.S = np.zeros((memory, n))
        self.Y = np.zeros((memory, n))
        self.rho = np.zeros(memory)
        self.yy = np.zeros(memory)  # y'y of each pair: the newest scales H0
        self._a = np.zeros(memory)
        self.n_pairs = 0
        self.head = 0  # slot of the next pair
        self.f = np.nan
        self.g = np.zeros(n)
        self.n_iter = 0
        self.n_eval = 0
        self.status = -1
        self._phase = _START
        self._trial = self.x

    # --- the protocol ----------------------------------------------------------------

    @property
    def done(self) -> bool:
        return self._phase == _DONE

    @property
    def converged(self) -> bool:
        return self.status == 0

    def ask(self) -> np.ndarray | None:
        """The point to evaluate next, or None when the minimisation has ended."""
        return None if self._phase == _DONE else self._trial

    def tell(self, f: float, g: np.ndarray) -> bool:
        """Take the objective and gradient at the last :meth:`ask` point.

        Returns True when that evaluation completed an iteration (a new
        accepted iterate: the moment SciPy calls its callback).
        """
        self.n_eval += 1
        f = float(f)
        g = np.ascontiguousarray(g, dtype=np.float64)
        if self._phase == _START:
            self.f, self.g = f, g.copy()
            if not np.isfinite(f):
                self._finish(2)
            elif _sweep(_SLOPE, self.g, self.g)[1] <= self.tol:  # max |g|, as every step
                self._finish(0)
            else:
                self._start_search()
            return False
        return self._search_step(f, g)

    # --- internals -------------------------------------------------------------------

    def _finish(self, status: int) -> None:
        self.status = status
        self._phase = _DONE
        self._trial = self.x

    def _start_search(self) -> None:
        m = self.S.shape[0]
        d = np.empty_like(self.g)
        while True:
            order = [(self.head - 1 - i) % m for i in range(self.n_pairs)]  # newest first
            gd, dd = _two_loop(self.S, self.Y, self.rho, self.yy, order, self.g, d, self._a)
            if gd < 0:
                break
            # not a descent direction: L-BFGS-B drops its memory and retries,
            # or ends abnormally if it had none
            if self.n_pairs == 0:
                self._finish(2)
                return
            self.n_pairs = 0
        self._d = d
        stp = min(1.0 / np.sqrt(dd), _STPMAX) if self.n_iter == 0 else 1.0
        self._t, self._r, self._fold, self._gdold = self.x, self.g, self.f, gd
        self._search = _MoreThuente(stp, self.f, gd)
        self._stp = stp
        self._ifun = 1
        self._trial = np.empty_like(self.x)
        _sweep(_FILL, self._trial, self._t, self._d, c=stp)
        self._phase = _SEARCH

    def _search_step(self, f: float, g: np.ndarray) -> bool:
        gd, gmax = _sweep(_SLOPE, g, self._d)
        nxt = self._search.step(self._stp, f, gd) if np.isfinite(f) else 0.5 * self._stp
        if nxt is not None:
            if self._ifun >= self.maxls:  # no acceptable step within maxls evaluations
                if self.n_pairs == 0:
                    self._finish(2)
                else:
                    self.n_pairs = 0
                    self._start_search()
                return False
            self._ifun += 1
            self._stp = nxt
            self._trial = np.empty_like(self.x)
            _sweep(_FILL, self._trial, self._t, self._d, c=nxt)
            return False
        # the step is accepted: a new iterate
        stp = self._stp
        self.x, self.f, self.g = self._trial, f, g
        self.n_iter += 1
        if self.n_iter >= self.max_iter:
            self._finish(1)
            return True
        if gmax <= self.tol:
            self._finish(0)
            return True
        if (self._fold - f) <= self.ftol * max(abs(self._fold), abs(f), 1.0):
            self._finish(0)
            return True
        dr = (gd - self._gdold) * stp
        if dr > _EPS * (-self._gdold * stp):
            slot = self.head
            sy, self.yy[slot] = _sweep(_PAIR, self.S[slot], self.Y[slot], self._d, g,
                                       self._r, c=stp)
            self.rho[slot] = 1.0 / sy
            self.head = (slot + 1) % self.S.shape[0]
            self.n_pairs = min(self.n_pairs + 1, self.S.shape[0])
        self._start_search()
        return True
