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

__all__ = ["LBFGSState"]

_EPS = np.finfo(np.float64).eps
_STPMAX = 1e10  # L-BFGS-B's step bound without box constraints ("big")
_LS_FTOL, _LS_GTOL, _LS_XTOL = 1e-3, 0.9, 0.1

# states of the state machine
_START, _SEARCH, _DONE = 0, 1, 2


def _dcstep(stx, fx, dx, sty, fy, dy, stp, fp, dp, brackt, stpmin, stpmax):
    """MINPACK-2's safeguarded cubic/quadratic step (``scipy.optimize._dcsrch.dcstep``)."""
    sgnd = np.sign(dp) * np.sign(dx)
    if fp > fx:
        theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp
        s = max(abs(theta), abs(dx), abs(dp))
        gamma = s * np.sqrt((theta / s) ** 2 - (dx / s) * (dp / s))
        if stp < stx:
            gamma = -gamma
        p = (gamma - dx) + theta
        q = ((gamma - dx) + gamma) + dp
        stpc = stx + p / q * (stp - stx)
        stpq = stx + ((dx / ((fx - fp) / (stp - stx) + dx)) / 2.0) * (stp - stx)
        stpf = stpc if abs(stpc - stx) <= abs(stpq - stx) else stpc + (stpq - stpc) / 2.0
        brackt = True
    elif sgnd < 0.0:
        theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp
        s = max(abs(theta), abs(dx), abs(dp))
        gamma = s * np.sqrt((theta / s) ** 2 - (dx / s) * (dp / s))
        if stp > stx:
            gamma = -gamma
        p = (gamma - dp) + theta
        q = ((gamma - dp) + gamma) + dx
        stpc = stp + p / q * (stx - stp)
        stpq = stp + (dp / (dp - dx)) * (stx - stp)
        stpf = stpc if abs(stpc - stp) > abs(stpq - stp) else stpq
        brackt = True
    elif abs(dp) < abs(dx):
        theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp
        s = max(abs(theta), abs(dx), abs(dp))
        gamma = s * np.sqrt(max(0.0, (theta / s) ** 2 - (dx / s) * (dp / s)))
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
            theta = 3.0 * (fp - fy) / (sty - stp) + dy + dp
            s = max(abs(theta), abs(dy), abs(dp))
            gamma = s * np.sqrt((theta / s) ** 2 - (dy / s) * (dp / s))
            if stp > sty:
                gamma = -gamma
            p = (gamma - dp) + theta
            q = ((gamma - dp) + gamma) + dy
            stpf = stp + p / q * (sty - stp)
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
    grad_mask : (n,) bool, optional
        Entries of the gradient that count for ``tol`` (all by default).

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
                 ftol: float = 64 * _EPS, maxls: int = 50, memory: int = 10,
                 grad_mask: np.ndarray | None = None):
        self.x = np.array(theta0, dtype=np.float64)
        n = self.x.shape[0]
        self.tol, self.max_iter, self.ftol, self.maxls = tol, max_iter, ftol, maxls
        self.grad_mask = grad_mask
        self.S = np.zeros((memory, n))
        self.Y = np.zeros((memory, n))
        self.rho = np.zeros(memory)
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
        if self._phase == _START:
            self.f, self.g = f, np.array(g, dtype=np.float64)
            if not np.isfinite(f):
                self._finish(2)
            elif self._gnorm(self.g) <= self.tol:
                self._finish(0)
            else:
                self._start_search()
            return False
        return self._search_step(f, np.asarray(g, dtype=np.float64))

    # --- internals -------------------------------------------------------------------

    def _gnorm(self, g) -> float:
        if self.grad_mask is not None:
            g = g[self.grad_mask]
        return float(np.max(np.abs(g), initial=0.0))

    def _finish(self, status: int) -> None:
        self.status = status
        self._phase = _DONE
        self._trial = self.x

    def _direction(self) -> np.ndarray:
        """``-H g`` by the two-loop recursion over the stored pairs."""
        q = -self.g
        k = self.n_pairs
        m = self.S.shape[0]
        order = [(self.head - 1 - i) % m for i in range(k)]  # newest first
        a = np.empty(k)
        for i, slot in enumerate(order):
            a[i] = self.rho[slot] * (self.S[slot] @ q)
            q -= a[i] * self.Y[slot]
        if k:
            newest = order[0]
            q *= 1.0 / (self.rho[newest] * (self.Y[newest] @ self.Y[newest]))
        for i in range(k - 1, -1, -1):
            slot = order[i]
            beta = self.rho[slot] * (self.Y[slot] @ q)
            q += (a[i] - beta) * self.S[slot]
        return q

    def _start_search(self) -> None:
        while True:
            d = self._direction()
            gd = float(self.g @ d)
            if gd < 0:
                break
            # not a descent direction: L-BFGS-B drops its memory and retries,
            # or ends abnormally if it had none
            if self.n_pairs == 0:
                self._finish(2)
                return
            self.n_pairs = 0
        self._d = d
        dnorm = float(np.sqrt(d @ d))
        stp = min(1.0 / dnorm, _STPMAX) if self.n_iter == 0 else 1.0
        self._t, self._r, self._fold, self._gdold = self.x, self.g, self.f, gd
        self._search = _MoreThuente(stp, self.f, gd)
        self._stp = stp
        self._ifun = 1
        self._trial = self._t + stp * d
        self._phase = _SEARCH

    def _search_step(self, f: float, g: np.ndarray) -> bool:
        gd = float(g @ self._d)
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
            self._trial = self._t + nxt * self._d
            return False
        # the step is accepted: a new iterate
        stp = self._stp
        self.x, self.f, self.g = self._trial, f, g
        self.n_iter += 1
        if self.n_iter >= self.max_iter:
            self._finish(1)
            return True
        if self._gnorm(g) <= self.tol:
            self._finish(0)
            return True
        if (self._fold - f) <= self.ftol * max(abs(self._fold), abs(f), 1.0):
            self._finish(0)
            return True
        dr = (gd - self._gdold) * stp
        if dr > _EPS * (-self._gdold * stp):
            slot = self.head
            self.S[slot] = stp * self._d
            self.Y[slot] = g - self._r
            self.rho[slot] = 1.0 / float(self.S[slot] @ self.Y[slot])
            self.head = (slot + 1) % self.S.shape[0]
            self.n_pairs = min(self.n_pairs + 1, self.S.shape[0])
        self._start_search()
        return True
