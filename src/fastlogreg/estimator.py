"""A scikit-learn-compatible ``LogisticRegression`` on the fused kernels."""

from __future__ import annotations

import numbers
import warnings
from contextlib import contextmanager

import numba
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._available_if import available_if
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from . import _mapping, solvers
from ._validation import check_finite, check_int, check_real
from .kernels import link
from .monitor import Monitor
from .sources.dask_arrays import import_dask, is_dask_array
from .sources.predict import decision_function as _logits
from .sources.sparse import is_sparse

__all__ = ["LogisticRegression", "alpha_from_C"]

SOLVERS = ("lbfgs", "gd", "nesterov", "sgd")


def alpha_from_C(C: float, sample_weight_sum: float) -> float:
    """The penalty strength of fastlogreg's objective for scikit-learn's ``C``.

    scikit-learn minimises ``C sum_i s_i l_i + R(w)``; fastlogreg minimises the
    same divided by ``C S``: ``(1/S) sum_i s_i l_i + alpha R(w)`` with
    ``alpha = 1 / (C S)`` and ``S = sum_i s_i`` (class weights included).
    ``C = inf`` means no penalty. This is the one place the identity lives.
    """
    return 0.0 if np.isinf(C) else 1.0 / (C * sample_weight_sum)


@contextmanager
def _threads(n_jobs):
    """Run Numba's parallel passes on ``n_jobs`` threads (None: Numba's setting)."""
    if n_jobs is None:
        yield
        return
    before = numba.get_num_threads()
    top = numba.config.NUMBA_NUM_THREADS
    numba.set_num_threads(top if n_jobs < 0 else min(n_jobs, top))
    try:
        yield
    finally:
        numba.set_num_threads(before)


class LogisticRegression(ClassifierMixin, BaseEstimator):
    """Logistic regression trained by fused Numba kernels; scikit-learn's API.

    Minimises scikit-learn's objective for the same parameters::

        C sum_i s_i loss_i + l1_ratio ||W||_1 + (1 - l1_ratio)/2 ||W||_F^2

    where ``loss_i`` is the binary log-loss for two classes and the
    multinomial (softmax) cross-entropy for more, ``s_i`` the sample weights
    times the class weights, and the intercepts are not penalised. Internally
    the objective is divided by ``C * sum(s)`` (:func:`alpha_from_C`), so the
    solvers see a mean loss plus ``alpha`` times the penalty.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength, > 0; ``np.inf`` for no penalty.
    l1_ratio : float, default=0.0
        Elastic-net mixing in [0, 1]: 0 is L2, 1 is L1. L1 parts are applied
        by proximal steps, so ``l1_ratio > 0`` needs ``solver="gd"`` or
        ``"nesterov"``.
    fit_intercept : bool, default=True
    tol : float, default=1e-4
        Stop when the max-norm of the (proximal) gradient of the mean
        objective is ``<= tol`` (scikit-learn's lbfgs ``gtol``); for ``"sgd"``,
        when the epoch loss has not improved by more than ``tol`` for 5 epochs.
    max_iter : int, default=100
        Iterations (lbfgs) or epochs (gd, nesterov, sgd).
    class_weight : dict, "balanced" or None
        Multiplies the sample weights per class, as in scikit-learn.
    random_state : int, RandomState, Generator or None
        Seeds the ``"sgd"`` shuffles.
    solver : {"lbfgs", "gd", "nesterov", "sgd"}, default="lbfgs"
        ``"lbfgs"``: SciPy's L-BFGS-B fed by the one-pass loss+gradient kernel.
        ``"gd"``: fixed-step gradient descent (the notebook's algorithm).
        ``"nesterov"``: accelerated gradient (FISTA) with a step from a
        Lipschitz estimate and adaptive restart. ``"sgd"``: fused mini-batch
        epochs shuffled by ``random_state``.
    warm_start : bool, default=False
        Start from the previous fit's coefficients when their shape fits.
    verbose : int, default=0
        > 0 shows a progress bar (tqdm) with the iteration and the loss, on
        fits that last more than a second; it is updated only at records.
    n_jobs : int or None
        Threads for the parallel passes (-1: all); None keeps Numba's setting.
    learning_rate : float or "auto", default="auto"
        Step of ``"gd"`` and initial step of ``"sgd"``; ``"auto"`` is ``1/L``
        for an estimate ``L`` of the gradient's Lipschitz constant.
    batch_size : int, default=256
        Rows per mini-batch for ``"sgd"`` (capped at n_samples).
    schedule : {"constant", "invscaling"}, default="constant"
        Step schedule of ``"sgd"``: fixed, or ``learning_rate / sqrt(epoch + 1)``.
    record_every : int, default=10
        Iterations between rows of ``history_``, progress updates, callback
        calls and early-stopping checks.
    callback : callable, optional
        ``callback(iteration, loss, coef, intercept)`` every ``record_every``
        iterations; returning True stops the fit, which keeps the current
        coefficients and raises no ConvergenceWarning.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the samples (stratified, drawn by
        ``random_state``; they get weight 0 in training, so X is not copied)
        and stop when their log-loss has not improved by more than ``tol``
        for ``n_iter_no_change`` records; the best coefficients are kept.
        Each check costs one extra read of X.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=5
        Records without improvement before early stopping (and, for
        ``"sgd"``, epochs without improvement of the training loss).

    Notes
    -----
    Ctrl-C during ``fit`` leaves the model fitted with the coefficients of
    the last record (at most ``record_every`` iterations old) and then raises
    ``KeyboardInterrupt``: nothing already computed is lost, and the
    interrupt still stops the program. Before the first record nothing is
    kept.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : ndarray of shape (1,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str, when X had string column names
    history_ : structured ndarray with fields epoch, loss, accuracy
    """

    def __init__(self, *, C=1.0, l1_ratio=0.0, fit_intercept=True, tol=1e-4,
                 max_iter=100, class_weight=None, random_state=None, solver="lbfgs",
                 warm_start=False, verbose=0, n_jobs=None, learning_rate="auto",
                 batch_size=256, schedule="constant", record_every=10, callback=None,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=5):
        self.C = C
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.random_state = random_state
        self.solver = solver
        self.warm_start = warm_start
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.schedule = schedule
        self.record_every = record_every
        self.callback = callback
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # --- parameters ------------------------------------------------------------------

    def _check_params(self) -> None:
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}; got {self.solver!r}.")
        if not (isinstance(self.C, numbers.Real) and not isinstance(self.C, bool)
                and self.C > 0):
            raise ValueError(f"C must be a positive number or np.inf; got {self.C!r}.")
        check_real(self.l1_ratio, "l1_ratio", low=0.0, high=1.0)
        if self.l1_ratio > 0 and self.solver not in ("gd", "nesterov"):
            raise ValueError(
                f"l1_ratio={self.l1_ratio} needs an L1 proximal step, which "
                f"solver={self.solver!r} cannot take; use solver='gd' or 'nesterov'.")
        check_real(self.tol, "tol", low=0.0)
        check_int(self.max_iter, "max_iter", low=1)
        check_int(self.record_every, "record_every", low=1)
        check_int(self.batch_size, "batch_size", low=1)
        check_int(self.verbose, "verbose", low=0)
        if self.n_jobs is not None:
            check_int(self.n_jobs, "n_jobs", low=-1)
            if self.n_jobs == 0:
                raise ValueError("n_jobs must be a positive number of threads, -1 or None.")
        if not (isinstance(self.learning_rate, str) and self.learning_rate == "auto"):
            check_real(self.learning_rate, "learning_rate", low=0.0, low_open=True)
        if self.schedule not in solvers.SCHEDULES:
            raise ValueError(f"schedule must be one of {solvers.SCHEDULES}; "
                             f"got {self.schedule!r}.")
        if self.callback is not None and not callable(self.callback):
            raise TypeError(f"callback must be callable; got {self.callback!r}.")
        check_real(self.validation_fraction, "validation_fraction", low=0.0, high=1.0,
                   low_open=True)
        if self.validation_fraction >= 1.0:
            raise ValueError("validation_fraction must be < 1.")
        check_int(self.n_iter_no_change, "n_iter_no_change", low=1)
        for name in ("fit_intercept", "warm_start", "early_stopping"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"{name} must be True or False; "
                                 f"got {getattr(self, name)!r}.")

    # --- data ------------------------------------------------------------------------

    def _validate_X(self, X, *, reset: bool, y="no_validation"):
        """scikit-learn's validation, keeping float32/float64 and the memory layout.

        ``y`` as scikit-learn's ``validate_data`` takes it: left out for
        prediction; for ``fit`` even ``None`` is passed on, so that a missing
        target gets scikit-learn's own error.
        """
        # A memory-mapped X gets the chunked finiteness check, which keeps the
        # file from becoming resident (scikit-learn's reads it whole).
        mapped = _mapping.mapping_of(X) is not None
        # Sparse input becomes CSR (other formats are converted once, a copy).
        kwargs = dict(dtype=[np.float64, np.float32], order=None, accept_sparse="csr",
                      reset=reset, ensure_all_finite=not mapped)
        if isinstance(y, str) and y == "no_validation":
            X = validate_data(self, X, **kwargs)
        else:
            X, y = validate_data(self, X, y, **kwargs)
        if is_sparse(X):
            if not X.has_canonical_format:  # repeated entries: summed, in a copy
                X = X.copy()
                X.sum_duplicates()
            return X, y
        if not (X.flags.c_contiguous or X.flags.f_contiguous):
            X = np.ascontiguousarray(X)
        if mapped:
            check_finite(X, "X")
        return X, y

    def fit(self, X, y, sample_weight=None):
        """Fit the model to ``X`` (n_samples, n_features) and labels ``y``.

        float32 and float64 ``X`` in C or F order are read in place, never
        copied (except by ``solver="gd"`` for a C-ordered ``X`` of at most 16
        features and 16 MiB, read faster from a column-major copy). Returns
        ``self``.
        """
        self._check_params()
        if is_dask_array(X) or is_dask_array(y):
            X, y_index, classes, sample_weight = self._dask_data(X, y, sample_weight)
        else:
            X, y = self._validate_X(X, reset=True, y=y)
            classes, y_index = _encode_labels(y)
            if classes.size >= 2:
                sample_weight = self._weights(X, y, y_index, classes, sample_weight)
        if classes.size < 2:
            raise ValueError(
                f"y has only one class ({classes[0].item()!r}); this solver needs "
                "samples of at least 2 classes in the data.")
        held_out = self._held_out(y_index) if self.early_stopping else None
        train_weight = sample_weight
        if held_out is not None:
            train_weight = sample_weight.copy()
            train_weight[held_out] = 0.0
        S = float(train_weight.sum())
        if not S > 0:
            raise ValueError("the sample (and class) weights sum to 0; at least one "
                             "must be > 0.")
        strength = alpha_from_C(self.C, S)
        l1_ratio = float(self.l1_ratio)
        problem = self._problem(X, y_index, train_weight, classes.size,
                                alpha=strength * (1.0 - l1_ratio), l1=strength * l1_ratio)
        validation = None
        if held_out is not None:
            val_weight = np.zeros_like(sample_weight)
            val_weight[held_out] = sample_weight[held_out]
            validation = self._problem(X, y_index, val_weight, classes.size)
        theta0 = self._initial_theta(problem, classes)

        def split(theta):  # copies shaped as coef_ and intercept_
            coef, intercept = problem.split(theta)
            return coef.reshape(-1, problem.n_features).copy(), intercept.copy()

        monitor = Monitor(int(self.max_iter), split, verbose=int(self.verbose),
                          callback=self.callback, validation=validation,
                          n_iter_no_change=int(self.n_iter_no_change), tol=float(self.tol))
        try:
            with _threads(self.n_jobs):
                result = self._solve(problem, theta0, monitor)
        except KeyboardInterrupt:
            if monitor.last is not None:  # keep the last record, then stop the program
                self.classes_ = classes
                self._set_coef(problem, monitor.last)
                self.n_iter_ = np.array([monitor.last_iteration + 1], dtype=np.int32)
                self.history_ = solvers.as_history(monitor.rows)
            raise
        finally:
            monitor.close()
        if not (result.converged or result.stopped) and self.solver != "sgd":
            warnings.warn(
                f"solver={self.solver!r} did not converge in max_iter={self.max_iter} "
                f"iterations (optimality {result.grad_norm:.3g} > tol={self.tol}); "
                "increase max_iter, or standardise the features.",
                ConvergenceWarning, stacklevel=2)
        best = monitor.best if monitor.best is not None else result.theta
        self.classes_ = classes
        self._set_coef(problem, best)
        self.n_iter_ = np.array([result.n_iter], dtype=np.int32)
        self.history_ = result.history
        if validation is not None:
            self.validation_scores_ = np.array(monitor.validation_losses)
        self.__dict__.pop("_stream", None)  # a later partial_fit starts a new stream
        return self

    def _dask_data(self, X, y, sample_weight):
        """Validate Dask ``X``, ``y`` (and weights) on the cluster, lazily encoded.

        One computation checks every value and finds the classes; nothing of
        the size of X comes back. Returns ``(X, y_index, classes, weight)``.
        """
        dask, da = import_dask()
        if self.solver == "sgd":
            raise ValueError("solver='sgd' shuffles rows in memory and does not take "
                             "Dask arrays; use solver='lbfgs', 'gd' or 'nesterov'.")
        if self.early_stopping:
            raise ValueError("early_stopping does not take Dask arrays; hold out a "
                             "validation set yourself and use the callback.")
        if not is_dask_array(X):
            raise TypeError("y is a Dask array but X is not; pass X as a Dask array "
                            "too (dask.array.from_array), or y in memory.")
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features); got {X.ndim}-D "
                             f"Dask array of shape {X.shape}.")
        if any(np.isnan(c) for c in X.shape):
            raise ValueError("X has unknown chunk sizes; call X.compute_chunk_sizes() "
                             "first.")
        if X.dtype.kind not in "biuf":
            raise TypeError(f"X must hold real numbers; got dtype {X.dtype}.")
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        n = X.shape[0]
        rows = X.chunks[0]
        y = y if is_dask_array(y) else da.from_array(np.asarray(y), chunks=(rows,))
        if y.ndim != 1 or y.shape[0] != n:
            raise ValueError(f"y must be 1-D with one label per row of X ({n}); got "
                             f"shape {y.shape}.")
        if sample_weight is None:  # made from X's chunks, so where they live
            weight = X[:, 0].map_blocks(lambda c: np.ones(c.shape[0]), dtype=np.float64)
        else:
            weight = (sample_weight if is_dask_array(sample_weight)
                      else da.from_array(np.asarray(sample_weight, dtype=np.float64),
                                         chunks=(rows,)))
            if weight.shape != (n,):
                raise ValueError(f"sample_weight must have shape ({n},); got "
                                 f"{weight.shape}.")
        y, weight = y.rechunk((rows,)), weight.rechunk((rows,))  # chunked like X
        classes, bad_x, bad_w = dask.compute(
            da.unique(y), ~da.isfinite(X).all(),
            ~(da.isfinite(weight) & (weight >= 0)).all())
        if bad_x:
            raise ValueError("X contains NaN or infinity; remove or clip those values.")
        if bad_w:
            raise ValueError("sample_weight must be finite and >= 0.")
        if classes.dtype.kind == "f" and np.any(classes != np.round(classes)):
            check_classification_targets(classes)
        y_index = y.map_blocks(
            lambda b: np.searchsorted(classes, b).astype(np.float64), dtype=np.float64)
        if self.class_weight is not None and classes.size >= 2:
            counts = da.bincount(y_index.astype(np.intp), weights=weight,
                                 minlength=classes.size).compute()
            # the weighted class counts stand in for y: the same formula as fit's
            cw = compute_class_weight(self.class_weight, classes=classes, y=classes,
                                      sample_weight=counts)
            weight = weight * y_index.map_blocks(lambda i: cw[i.astype(np.intp)],
                                                 dtype=np.float64)
        self.n_features_in_ = X.shape[1]
        self.__dict__.pop("feature_names_in_", None)
        return X, y_index, classes, weight

    def _weights(self, X, y, y_index, classes, sample_weight) -> np.ndarray:
        """Sample weights times class weights, as a new float64 array."""
        sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                             copy=True, ensure_non_negative=True)
        if self.class_weight is not None:
            cw = compute_class_weight(self.class_weight, classes=classes, y=y,
                                      sample_weight=sample_weight)
            sample_weight *= cw[y_index.astype(np.intp)]
        return sample_weight

    @available_if(lambda self: self.solver == "sgd")
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One fused mini-batch SGD epoch over this chunk of rows (``solver="sgd"``).

        For data that arrive in chunks (a stream, or files too large to open
        at once): each call shuffles the chunk (``random_state``), runs one
        epoch of ``batch_size`` batches over it and continues from the current
        coefficients (a model fitted by ``fit`` continues from its own).

        Parameters
        ----------
        X : (n_samples, n_features) array
        y : (n_samples,) labels, each one of ``classes``
        classes : array-like, required on the first call
            Every label the stream will contain, as in scikit-learn's
            ``partial_fit``; later calls may omit it or must repeat it.
        sample_weight : (n_samples,) array, optional

        Notes
        -----
        The penalty is that of ``fit`` on all the rows seen so far:
        ``alpha = 1 / (C S_seen)`` with ``S_seen`` the weight of every chunk
        passed since the stream started, so after one pass over a data set
        the objective is ``fit``'s on that set (rows passed twice count
        twice). The step is ``learning_rate`` (``"auto"``: ``1/L`` estimated
        on the first chunk), divided by ``sqrt(t + 1)`` after ``t`` calls
        with ``schedule="invscaling"``. ``class_weight="balanced"`` needs the
        whole data set: pass a dict (e.g. from
        :func:`sklearn.utils.class_weight.compute_class_weight`) instead.
        """
        first = not hasattr(self, "classes_")
        if first:
            self._check_params()
            if classes is None:
                raise ValueError("classes must be passed on the first call to "
                                 "partial_fit: every label the stream will contain.")
        if classes is not None:
            classes = np.unique(np.asarray(classes))
            if not first and not np.array_equal(classes, self.classes_):
                raise ValueError(f"classes={classes.tolist()} differs from the classes "
                                 f"of the model, {self.classes_.tolist()}.")
            if classes.size < 2:
                raise ValueError(f"classes must hold at least 2 labels; got "
                                 f"{classes.tolist()}.")
        if isinstance(self.class_weight, str):
            raise ValueError("class_weight='balanced' needs the whole data set and is "
                             "not supported by partial_fit; pass a dict of weights.")
        X, y = self._validate_X(X, reset=first, y=y)
        classes = self.classes_ if classes is None else classes
        y_index = np.searchsorted(classes, y)
        unknown = (y_index >= classes.size) | \
            (classes[np.minimum(y_index, classes.size - 1)] != y)
        if unknown.any():
            raise ValueError(f"y holds labels not in classes: "
                             f"{np.unique(y[unknown])[:5].tolist()}.")
        y_index = y_index.astype(np.float64)
        weight = self._weights(X, y, y_index, classes, sample_weight)
        stream = self.__dict__.setdefault(
            "_stream", {"weight": 0.0, "calls": 0, "step": None,
                        "rng": np.random.default_rng(_seed(self.random_state))})
        S = float(weight.sum())
        seen = stream["weight"] + S
        problem = self._problem(X, y_index, weight, classes.size,
                                alpha=alpha_from_C(self.C, seen) if seen > 0 else 0.0)
        if first:
            self.classes_ = classes
            theta = np.zeros(problem.n_params)
        else:
            theta = np.concatenate([self.coef_.ravel(), self.intercept_])
        if stream["step"] is None:
            stream["step"] = (1.0 / problem.lipschitz() if self.learning_rate == "auto"
                              else float(self.learning_rate))
        step = stream["step"]
        if self.schedule == "invscaling":
            step /= np.sqrt(stream["calls"] + 1)
        if S > 0:
            previous = theta.copy()
            out = np.empty(2)
            with _threads(self.n_jobs):
                problem.minibatch_epoch(
                    theta, stream["rng"].permutation(X.shape[0]),
                    min(int(self.batch_size), X.shape[0]), step, out)
            if not (np.isfinite(out[0]) and np.isfinite(theta).all()):
                theta = previous
                problem.warn_divergence(step, stream["calls"])
        stream["weight"] = seen
        stream["calls"] += 1
        self._set_coef(problem, theta)
        self.n_iter_ = np.array([stream["calls"]], dtype=np.int32)
        return self

    def _problem(self, X, y_index, weight, n_classes, alpha=0.0, l1=0.0):
        common = dict(alpha=alpha, l1=l1, fit_intercept=bool(self.fit_intercept))
        if n_classes == 2:
            return solvers.BinaryProblem(X, y_index, weight, **common)
        return solvers.MultinomialProblem(X, y_index, weight, n_classes=n_classes,
                                          **common)

    def _held_out(self, y_index) -> np.ndarray:
        """Indices of the early-stopping validation rows, stratified by class."""
        from sklearn.model_selection import train_test_split

        rows = np.arange(y_index.shape[0])
        try:
            _, held_out = train_test_split(rows, test_size=self.validation_fraction,
                                           stratify=y_index,
                                           random_state=_seed(self.random_state))
        except ValueError as exc:
            raise ValueError(f"early_stopping cannot hold out validation_fraction="
                             f"{self.validation_fraction} of the samples: {exc}") from None
        return held_out

    def _initial_theta(self, problem, classes) -> np.ndarray:
        theta = np.zeros(problem.n_params)
        if self.warm_start and hasattr(self, "coef_") and \
                np.array_equal(getattr(self, "classes_", None), classes):
            k = problem.n_weights
            if self.coef_.size == k:
                theta[:k] = self.coef_.ravel()
                if problem.fit_intercept:
                    theta[k:] = self.intercept_
        return theta

    def _solve(self, problem, theta0, monitor):
        solver = self.solver
        common = dict(max_iter=int(self.max_iter), tol=float(self.tol),
                      record_every=int(self.record_every), monitor=monitor)
        if solver == "lbfgs":
            return solvers.lbfgs(problem, theta0, **common)
        if solver == "nesterov":
            return solvers.nesterov(problem, theta0, **common)
        step = (1.0 / problem.lipschitz() if self.learning_rate == "auto"
                else float(self.learning_rate))
        if solver == "gd":
            return solvers.gd(problem, theta0, learning_rate=step, **common)
        rng = np.random.default_rng(_seed(self.random_state))
        return solvers.sgd(problem, theta0, learning_rate=step,
                           batch_size=min(int(self.batch_size), problem.n_samples),
                           rng=rng, schedule=self.schedule,
                           n_iter_no_change=int(self.n_iter_no_change), **common)

    def _set_coef(self, problem, theta) -> None:
        coef, intercept = problem.split(theta)
        self.coef_ = np.array(coef, dtype=np.float64).reshape(-1, problem.n_features)
        self.intercept_ = np.array(intercept, dtype=np.float64).reshape(-1)

    # --- prediction ------------------------------------------------------------------

    def decision_function(self, X) -> np.ndarray:
        """Logits: shape (n_samples,) for two classes, (n_samples, n_classes) for more.

        X is read in place (a float32 X is not copied to float64).
        """
        check_is_fitted(self)
        if is_dask_array(X):
            return self._dask_map("decision_function", X)
        X, _ = self._validate_X(X, reset=False)
        return _logits(X, self.coef_, self.intercept_)

    def _dask_map(self, method: str, X):
        """``method`` applied lazily to each row chunk of Dask ``X`` (a Dask array)."""
        check_is_fitted(self)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has shape {X.shape}, but the model was fitted with "
                             f"{self.n_features_in_} features.")
        X = X.rechunk({1: -1}) if X.numblocks[1] > 1 else X
        K = self.classes_.size
        fn = getattr(self, method)
        if method == "predict" or (method == "decision_function" and K == 2):
            dtype = self.classes_.dtype if method == "predict" else np.float64
            return X.map_blocks(fn, drop_axis=1, dtype=dtype)
        return X.map_blocks(fn, chunks=(X.chunks[0], (K,)), dtype=np.float64)

    def predict_log_proba(self, X) -> np.ndarray:
        """Log-probabilities, shape (n_samples, n_classes), finite for finite logits."""
        return self._proba(X, log_space=True)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), rows summing to 1."""
        return self._proba(X, log_space=False)

    def _proba(self, X, log_space: bool) -> np.ndarray:
        if is_dask_array(X):
            return self._dask_map("predict_log_proba" if log_space else "predict_proba", X)
        z = self.decision_function(X)
        if z.ndim == 1:
            out = np.empty((z.shape[0], 2))
            link.binary_proba(z, out, log_space)
            return out
        link.softmax_rows(z, log_space)
        return z

    def predict(self, X) -> np.ndarray:
        """Predicted class labels (a lazy Dask array for Dask ``X``)."""
        if is_dask_array(X):
            return self._dask_map("predict", X)
        z = self.decision_function(X)
        index = (z > 0).astype(np.intp) if z.ndim == 1 else np.argmax(z, axis=1)
        return self.classes_[index]

    # --- interoperability ------------------------------------------------------------

    def to_sklearn(self):
        """An equivalent fitted :class:`sklearn.linear_model.LogisticRegression`.

        It holds the same ``coef_``, ``intercept_``, ``classes_`` (and feature
        names), so its predictions equal ours and everything built for
        scikit-learn's model (converters, model cards) accepts it.
        """
        from sklearn.linear_model import LogisticRegression as SkLogisticRegression

        check_is_fitted(self)
        model = SkLogisticRegression(
            C=self.C, l1_ratio=self.l1_ratio, fit_intercept=self.fit_intercept,
            tol=self.tol, max_iter=self.max_iter, class_weight=self.class_weight,
            random_state=self.random_state,
            solver="lbfgs" if self.l1_ratio == 0 else "saga",
            warm_start=self.warm_start)
        for name in ("classes_", "coef_", "intercept_", "n_iter_", "n_features_in_",
                     "feature_names_in_"):
            if hasattr(self, name):
                setattr(model, name, np.copy(getattr(self, name)))
        return model


# Integer labels spanning at most this many values are encoded by counting
# (O(n)) instead of sorting (O(n log n)): 2 ms instead of 30 on 1e6 labels.
_COUNTING_SPAN = 1 << 16


def _encode_labels(y) -> tuple[np.ndarray, np.ndarray]:
    """``classes_`` and every label's class index (as float64, what kernels read).

    Does scikit-learn's ``check_classification_targets`` with one pass for
    integer labels: they are always discrete. Float labels must be whole
    numbers (else scikit-learn's "Unknown label type: continuous" error);
    anything else goes through scikit-learn's check.
    """
    if y.dtype.kind in "iub":
        low, high = (int(y.min()), int(y.max())) if y.size else (0, 0)
        if high - low < _COUNTING_SPAN:
            shifted = y.astype(np.int64) - low
            present = np.flatnonzero(np.bincount(shifted, minlength=high - low + 1))
            lookup = np.zeros(high - low + 1)
            lookup[present] = np.arange(present.size)
            return (present + low).astype(y.dtype), lookup[shifted]
    elif y.dtype.kind == "f":
        classes = np.unique(y)
        if np.any(classes != np.round(classes)):
            check_classification_targets(y)  # raises scikit-learn's own error
        return classes, np.searchsorted(classes, y).astype(np.float64)
    else:
        check_classification_targets(y)
    classes = np.unique(y)
    return classes, np.searchsorted(classes, y).astype(np.float64)


def _seed(random_state):
    """An ``np.random.default_rng`` seed from scikit-learn's ``random_state`` forms."""
    if isinstance(random_state, np.random.RandomState):
        return random_state.randint(np.iinfo(np.int32).max)
    return random_state
