"""A scikit-learn-compatible ``LogisticRegression`` on the fused kernels."""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Hidden, Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from . import _mapping, solvers, training
from ._callbacks import CallbackBridge
from ._threading import exclusive
from ._validation import check_finite, class_weights, encode_labels
from .monitor import Monitor
from .sources.dask_arrays import is_dask_array, prepare_dask
from .sources.predict import decision_function as _logits
from .sources.predict import probabilities
from .sources.sparse import is_sparse
from .training import SOLVER_NAMES, alpha_from_C

try:  # scikit-learn >= 1.9: the callback API (``set_callbacks``)
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # pragma: no cover - older scikit-learn
    class CallbackSupportMixin:  # type: ignore[no-redef]
        """Stand-in without callbacks."""

__all__ = ["LogisticRegression", "alpha_from_C"]

class LogisticRegression(CallbackSupportMixin, ClassifierMixin, BaseEstimator):
    """Logistic regression trained by fused Numba kernels; scikit-learn's API.

    Minimises scikit-learn's objective for the same parameters::

        C sum_i s_i loss_i + l1_ratio ||W||_1 + (1 - l1_ratio)/2 ||W||_F^2

    where ``loss_i`` is the binary log-loss for two classes and the
    multinomial (softmax) cross-entropy for more, ``s_i`` the sample weights
    times the class weights, and the intercepts are not penalised (but for
    ``solver="liblinear"``, which penalises them as the weight of a constant
    feature ``intercept_scaling``). Internally the objective is divided by
    ``C * sum(s)`` (:func:`alpha_from_C`), so the solvers see a mean loss plus
    ``alpha`` times the penalty.

    Parameters
    ----------
    penalty : {"l1", "l2", "elasticnet", None}, default="deprecated"
        Deprecated by scikit-learn 1.8 and accepted as it accepts it (with its
        FutureWarning): use ``l1_ratio`` and ``C`` instead.
    C : float, default=1.0
        Inverse regularisation strength, > 0; ``np.inf`` for no penalty.
    l1_ratio : float, default=0.0
        Elastic-net mixing in [0, 1]: 0 is L2, 1 is L1. L1 needs
        ``solver="saga"``, ``"liblinear"`` (``l1_ratio`` 0 or 1 only),
        ``"gd"`` or ``"nesterov"``.
    dual : bool, default=False
        The dual formulation of liblinear (L2 only). The optimum is the
        primal one's, which is what fastlogreg computes.
    tol : float, default=1e-4
        Stopping tolerance, in each solver's scikit-learn sense (for lbfgs,
        gd and nesterov: the max-norm of the (proximal) gradient of the mean
        objective; for "sgd", the epoch loss's improvement over 5 epochs).
    fit_intercept : bool, default=True
        Whether to fit intercepts (they stay 0 otherwise).
    intercept_scaling : float, default=1
        For liblinear only: the value of the constant feature whose weight is
        the intercept (so the intercept is penalised less as it grows).
    class_weight : dict, "balanced" or None
        Multiplies the sample weights per class, as in scikit-learn.
    random_state : int, RandomState, Generator or None
        Seeds "sag", "saga", "sgd" and the early-stopping split.
    solver : str, default="lbfgs"
        One of scikit-learn's ("lbfgs", "liblinear", "newton-cg",
        "newton-cholesky", "sag", "saga"), each a fastlogreg algorithm over the
        fused passes reaching the same optimum, or fastlogreg's own: "gd"
        (fixed-step gradient descent, the notebook's algorithm), "nesterov"
        (FISTA with adaptive restart) and "sgd" (fused mini-batch epochs).
    max_iter : int, default=100
        Iterations (epochs for gd, nesterov, sag, saga and sgd); 0 leaves the
        initial coefficients.
    verbose : int, default=0
        > 0 shows a progress bar (tqdm) on fits that last more than a second.
    warm_start : bool, default=False
        Start from the previous fit's coefficients when their shape fits.
    n_jobs : int or None
        Threads for the parallel passes (-1: all); None keeps Numba's setting.
        A deliberate difference: scikit-learn 1.8+ ignores ``n_jobs`` here.
    learning_rate : float or "auto", default="auto"
        Step of "gd" and initial step of "sgd"; "auto" is ``1/L`` for an
        estimate ``L`` of the gradient's Lipschitz constant.
    batch_size : int, default=256
        Rows per mini-batch for "sgd" (capped at n_samples).
    schedule : {"constant", "invscaling"}, default="constant"
        Step schedule of "sgd": fixed, or ``learning_rate / sqrt(epoch + 1)``.
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
    validation_fraction : float, default=0.1
        Share of the samples held out by ``early_stopping``.
    n_iter_no_change : int, default=5
        Records without improvement before early stopping (and, for "sgd",
        epochs without improvement of the training loss).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels, sorted.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        The weights, of X's dtype (float32 or float64).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        The intercepts, of X's dtype.
    n_iter_ : ndarray of shape (1,)
        Iterations (or epochs) run.
    n_features_in_ : int
        Features seen by ``fit``.
    feature_names_in_ : ndarray of str
        Column names of X, when it had string column names.
    history_ : structured ndarray
        Fields ``epoch``, ``loss``, ``accuracy``, one row per record.

    Notes
    -----
    Ctrl-C during ``fit`` leaves the model fitted with the coefficients of
    the last record (at most ``record_every`` iterations old) and then raises
    ``KeyboardInterrupt``: nothing already computed is lost.
    """

    _parameter_constraints: dict = {
        "penalty": [StrOptions({"l1", "l2", "elasticnet"}), None,
                    Hidden(StrOptions({"deprecated"}))],
        "C": [Interval(Real, 0, None, closed="right")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), None],
        "dual": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "intercept_scaling": [Interval(Real, 0, None, closed="neither")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "random_state": ["random_state"],
        "solver": [StrOptions(set(SOLVER_NAMES))],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "n_jobs": [None, Interval(Integral, -1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither"),
                          StrOptions({"auto"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "schedule": [StrOptions(set(solvers.SCHEDULES))],
        "record_every": [Interval(Integral, 1, None, closed="left")],
        "callback": [callable, None],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, penalty="deprecated", *, C=1.0, l1_ratio=0.0, dual=False,
                 tol=1e-4, fit_intercept=True, intercept_scaling=1, class_weight=None,
                 random_state=None, solver="lbfgs", max_iter=100, verbose=0,
                 warm_start=False, n_jobs=None, learning_rate="auto", batch_size=256,
                 schedule="constant", record_every=10, callback=None,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=5):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.dual = dual
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.class_weight = class_weight
        self.random_state = random_state
        self.solver = solver
        self.max_iter = max_iter
        self.verbose = verbose
        self.warm_start = warm_start
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
        if self.solver == "liblinear":  # binary only, as scikit-learn's
            tags.classifier_tags.multi_class = False
        return tags

    def set_callbacks(self, *callbacks):
        """Set scikit-learn callbacks (``sklearn.callback``).

        They are called at every iteration of ``solver="lbfgs"``, as
        scikit-learn calls them; other solvers warn and ignore them, as
        scikit-learn's do.

        Parameters
        ----------
        *callbacks : callback instances
            Objects following scikit-learn's ``FitCallback`` protocol.

        Returns
        -------
        LogisticRegression
            This estimator.
        """
        if self.solver != "lbfgs":
            warnings.warn(
                f"Callbacks are only supported in {type(self).__name__} for "
                f"solver='lbfgs'. This estimator has solver='{self.solver}', callbacks "
                "will be ignored during the solving of the regression.", stacklevel=2)
        return super().set_callbacks(*callbacks)

    # --- parameters ------------------------------------------------------------------

    # --- data ------------------------------------------------------------------------

    def _validate_X(self, X, *, reset: bool, y="no_validation"):
        """scikit-learn's validation, keeping float32/float64 and the memory layout.

        ``y`` as scikit-learn's ``validate_data`` takes it: left out for
        prediction; for ``fit`` even ``None`` is passed on, so that a missing
        target gets scikit-learn's own error.
        """
        dtype = getattr(X, "dtype", None)  # arrays only: never converts X to look
        if isinstance(dtype, np.dtype) and dtype.kind == "c":  # scikit-learn's words
            raise ValueError("Complex data not supported: X must hold real numbers; "
                             f"got dtype {dtype}.")
        # A memory-mapped X gets the chunked finiteness check, which keeps the
        # file from becoming resident (scikit-learn's reads it whole).
        mapped = _mapping.mapping_of(X) is not None
        # Sparse input becomes CSR (other formats are converted once, a copy).
        kwargs = dict(dtype=[np.float64, np.float32], order=None, accept_sparse="csr",
                      reset=reset, ensure_all_finite=not mapped)
        if reset and self.solver in ("liblinear", "sag", "saga"):
            # scikit-learn's rule for these names (its C code is 32-bit); our
            # kernels read 64-bit indices for every other solver
            kwargs["accept_large_sparse"] = False
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

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to ``X`` (n_samples, n_features) and labels ``y``.

        float32 and float64 ``X`` in C or F order are read in place, never
        copied (except by ``solver="gd"`` for a C-ordered ``X`` of at most 16
        features and 16 MiB, read faster from a column-major copy).

        Parameters
        ----------
        X : {array-like, sparse matrix, memory map, Dask array}
            Training data, shape (n_samples, n_features).
        y : array-like of shape (n_samples,)
            Labels.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights of the samples.

        Returns
        -------
        LogisticRegression
            This estimator, fitted.
        """
        C, l1_ratio = training.resolve_penalty(self.penalty, self.C, self.l1_ratio,
                                               self.solver, self.dual)
        if self.n_jobs == 0:
            raise ValueError("n_jobs must be a positive number of threads, -1 or None; "
                             "got 0.")
        if is_dask_array(X) or is_dask_array(y):
            X, y_index, classes, sample_weight, self.n_features_in_ = prepare_dask(
                X, y, sample_weight, self.class_weight, solver=self.solver,
                early_stopping=self.early_stopping)
            self.__dict__.pop("feature_names_in_", None)
        else:
            X, y = self._validate_X(X, reset=True, y=y)
            classes, y_index = encode_labels(y)
        self.classes_ = classes  # early, as scikit-learn: callbacks' fitted copies read it
        liblinear = self.solver == "liblinear"
        if liblinear and classes.size > 2:
            raise ValueError(
                "The 'liblinear' solver does not support multiclass classification "
                "(n_classes >= 3). Either use another solver or wrap the estimator in "
                "a OneVsRestClassifier to keep applying a one-versus-rest scheme. Only "
                "binary classification is supported.")
        if liblinear and not is_sparse(X) and X.size and np.max(X) > 1e30:
            raise ValueError(
                "Using the 'liblinear' solver while X contains a maximum value > 1e30 "
                "results in a frozen fit. Please choose another solver or rescale the "
                "input X.")
        if classes.size < 2:
            raise ValueError(
                "This solver needs samples of at least 2 classes in the data, but the "
                f"data contains only one class: {classes[0]!r}")
        if not is_dask_array(X):
            sample_weight = self._weights(X, y, y_index, classes, sample_weight)
        held_out = self._held_out(y_index) if self.early_stopping else None
        train_weight = sample_weight
        if held_out is not None:
            train_weight = sample_weight.copy()
            train_weight[held_out] = 0.0
        S = float(train_weight.sum())
        if not S > 0:
            raise ValueError("the sample (and class) weights sum to 0; at least one "
                             "must be > 0.")
        scaling = (self.intercept_scaling if liblinear and self.fit_intercept else None)
        strength = training.strengths(C, l1_ratio, S, intercept_scaling=scaling)
        problem = training.make_problem(X, y_index, train_weight, classes.size, strength,
                                        fit_intercept=bool(self.fit_intercept))
        validation = None
        if held_out is not None:
            val_weight = np.zeros_like(sample_weight)
            val_weight[held_out] = sample_weight[held_out]
            validation = training.make_problem(X, y_index, val_weight, classes.size,
                                               fit_intercept=bool(self.fit_intercept))
        theta0 = self._initial_theta(problem, classes)
        dtype = np.float64 if liblinear else X.dtype  # as scikit-learn's coef_

        def split(theta):  # copies shaped as coef_ and intercept_, of X's dtype
            coef, intercept = problem.split(theta)
            return (coef.reshape(-1, problem.n_features).astype(dtype),
                    intercept.astype(dtype))

        bridge = CallbackBridge.start(self, X, y, sample_weight, split, theta0)
        per_iteration = bridge is not None and bridge.per_iteration
        monitor = Monitor(int(self.max_iter), split, verbose=int(self.verbose),
                          callback=self.callback, validation=validation,
                          n_iter_no_change=int(self.n_iter_no_change), tol=float(self.tol),
                          observers=[bridge] if per_iteration else ())
        solver, options = self._solver_options(problem, l1_ratio)
        tol = float(self.tol)
        if liblinear:  # liblinear's stopping rule is relative to the start's gradient
            tol = training.liblinear_tol(problem, y_index, tol, solver)
        if per_iteration and self.max_iter == 0:
            bridge(0, theta0)  # scikit-learn's lbfgs reports one iteration even then
        try:
            result = training.train(
                problem, theta0, solver, max_iter=int(self.max_iter), tol=tol,
                record_every=1 if per_iteration else int(self.record_every),
                monitor=monitor, n_jobs=self.n_jobs, **options)
        except KeyboardInterrupt:
            if monitor.last is not None:  # keep the last record, then stop the program
                self._set_coef(problem, monitor.last, dtype)
                self.n_iter_ = np.array([monitor.last_iteration + 1], dtype=np.int32)
                self.history_ = solvers.as_history(monitor.rows)
            raise
        finally:
            monitor.close()
        if bridge is not None:
            bridge.close()
        if not (result.converged or result.stopped):
            training.warn_not_converged(self.solver, result, int(self.max_iter),
                                        float(self.tol), problem)
        best = monitor.best if monitor.best is not None else result.theta
        self._set_coef(problem, best, dtype)
        self.n_iter_ = np.array([result.n_iter], dtype=np.int32)
        self.history_ = result.history
        if validation is not None:
            self.validation_scores_ = np.array(monitor.validation_losses)
        self.__dict__.pop("_stream", None)  # a later partial_fit starts a new stream
        if bridge is not None:
            bridge.finish()
        return self

    def _solver_options(self, problem, l1_ratio: float) -> tuple[str, dict]:
        """The registered solver that runs ``self.solver``, and its options."""
        solver = self.solver
        if solver == "liblinear":
            # liblinear's objective, solved by liblinear's algorithms on our
            # passes: its trust-region Newton for L2, proximal Newton for L1
            # (its newGLMNET; FISTA when too wide).
            if l1_ratio == 0:
                return "trust-region-newton", {}
            small = problem.n_params <= solvers.prox_newton.MAX_PARAMS
            return ("proximal-newton" if small else "nesterov"), {}
        if solver in ("gd", "sgd"):
            step = (1.0 / problem.lipschitz() if self.learning_rate == "auto"
                    else float(self.learning_rate))
            if solver == "gd":
                return solver, {"learning_rate": step}
            return solver, {"learning_rate": step, "rng": self._rng(),
                            "batch_size": min(int(self.batch_size), problem.n_samples),
                            "schedule": self.schedule,
                            "n_iter_no_change": int(self.n_iter_no_change)}
        if solver in ("sag", "saga"):
            return solver, {"rng": self._rng()}
        return solver, {}

    def _rng(self) -> np.random.Generator:
        return np.random.default_rng(_seed(self.random_state))

    def _weights(self, X, y, y_index, classes, sample_weight) -> np.ndarray:
        """Sample weights times class weights, as a new float64 array."""
        sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                             copy=True, ensure_non_negative=True)
        if self.class_weight is not None:
            cw = class_weights(self.class_weight, classes, y, sample_weight)
            sample_weight *= cw[y_index.astype(np.intp)]
        return sample_weight

    @available_if(lambda self: self.solver == "sgd")
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One fused mini-batch SGD epoch over this chunk of rows (``solver="sgd"``).

        For data that arrive in chunks (a stream, or files too large to open
        at once): each call shuffles the chunk (``random_state``), runs one
        epoch of ``batch_size`` batches over it and continues from the current
        coefficients (a model fitted by ``fit`` continues from its own).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The chunk's rows.
        y : array-like of shape (n_samples,)
            Their labels, each one of ``classes``.
        classes : array-like, optional
            Every label the stream will contain, as in scikit-learn's
            ``partial_fit``: required on the first call; later calls may omit
            it or must repeat it.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights of the chunk's rows.

        Returns
        -------
        LogisticRegression
            This estimator, updated.

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
        stream = self.__dict__.setdefault("_stream", _Stream(self._rng()))
        S = float(weight.sum())
        seen = stream.weight + S
        problem = training.make_problem(
            X, y_index, weight, classes.size,
            training.Strengths(alpha=alpha_from_C(self.C, seen) if seen > 0 else 0.0),
            fit_intercept=bool(self.fit_intercept))
        if first:
            self.classes_ = classes
            theta = np.zeros(problem.n_params)
        else:
            theta = np.concatenate([self.coef_.ravel(), self.intercept_]).astype(np.float64)
        if stream.step is None:
            stream.step = (1.0 / problem.lipschitz() if self.learning_rate == "auto"
                           else float(self.learning_rate))
        step = stream.step
        if self.schedule == "invscaling":
            step /= np.sqrt(stream.calls + 1)
        if S > 0:
            previous = theta.copy()
            out = np.empty(2)
            with training.threads(self.n_jobs):
                problem.minibatch_epoch(
                    theta, stream.rng.permutation(X.shape[0]),
                    min(int(self.batch_size), X.shape[0]), step, out)
            if not (np.isfinite(out[0]) and np.isfinite(theta).all()):
                theta = previous
                problem.warn_divergence(step, stream.calls)
        stream.weight = seen
        stream.calls += 1
        self._set_coef(problem, theta, X.dtype)
        self.n_iter_ = np.array([stream.calls], dtype=np.int32)
        return self

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
                theta[:k] = np.asarray(self.coef_).ravel()
                if problem.fit_intercept:
                    theta[k:] = self.intercept_
        return theta

    def _set_coef(self, problem, theta, dtype=np.float64) -> None:
        coef, intercept = problem.split(theta)
        self.coef_ = np.array(coef, dtype=dtype).reshape(-1, problem.n_features)
        self.intercept_ = np.array(intercept, dtype=dtype).reshape(-1)

    # --- prediction ------------------------------------------------------------------

    def decision_function(self, X) -> np.ndarray:
        """Logits: shape (n_samples,) for two classes, (n_samples, n_classes) for more.

        X is read in place (a float32 X is not copied to float64).

        Parameters
        ----------
        X : {array-like, sparse matrix, Dask array} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            The logits, float64.
        """
        check_is_fitted(self)
        if is_dask_array(X):
            return self._dask_map("decision_function", X)
        X, _ = self._validate_X(X, reset=False)
        coef = self.coef_
        if hasattr(coef, "toarray"):  # after sparsify()
            coef = coef.toarray()
        with exclusive():
            return _logits(X, np.asarray(coef, dtype=np.float64),
                           np.asarray(self.intercept_, dtype=np.float64))

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
        """Log-probabilities, finite for finite logits.

        Parameters
        ----------
        X : {array-like, sparse matrix, Dask array} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Log-probabilities of the classes, in the order of ``classes_``.
        """
        return self._proba(X, log_space=True)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, rows summing to 1.

        Parameters
        ----------
        X : {array-like, sparse matrix, Dask array} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probabilities of the classes, in the order of ``classes_``.
        """
        return self._proba(X, log_space=False)

    def _proba(self, X, log_space: bool) -> np.ndarray:
        if is_dask_array(X):
            return self._dask_map("predict_log_proba" if log_space else "predict_proba", X)
        return probabilities(self.decision_function(X), log_space)

    def _predict_proba_lr(self, X) -> np.ndarray:
        """One-vs-rest probabilities (normalised sigmoids), as scikit-learn's."""
        z = self.decision_function(X)
        if z.ndim == 1:
            return probabilities(z)
        prob = probabilities(z.ravel())[:, 1].reshape(z.shape)
        return prob / prob.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        """Predicted class labels (a lazy Dask array for Dask ``X``).

        Parameters
        ----------
        X : {array-like, sparse matrix, Dask array} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        if is_dask_array(X):
            return self._dask_map("predict", X)
        z = self.decision_function(X)
        index = (z > 0).astype(np.intp) if z.ndim == 1 else np.argmax(z, axis=1)
        return self.classes_[index]

    # --- interoperability ------------------------------------------------------------

    def sparsify(self):
        """Store ``coef_`` as a ``scipy.sparse`` CSR matrix, as scikit-learn's.

        Predictions stay the same; :meth:`densify` undoes it.

        Returns
        -------
        LogisticRegression
            This estimator.
        """
        import scipy.sparse as sp

        check_is_fitted(self, msg="Estimator, %(name)s, must be fitted before "
                        "sparsifying.")
        self.coef_ = sp.csr_matrix(self.coef_)
        return self

    def densify(self):
        """Store ``coef_`` as a dense array again (the default).

        It undoes :meth:`sparsify`.

        Returns
        -------
        LogisticRegression
            This estimator.
        """
        check_is_fitted(self, msg="Estimator, %(name)s, must be fitted before "
                        "densifying.")
        if hasattr(self.coef_, "toarray"):
            self.coef_ = self.coef_.toarray()
        return self

    def to_sklearn(self):
        """An equivalent fitted :class:`sklearn.linear_model.LogisticRegression`.

        It holds the same ``coef_``, ``intercept_``, ``classes_`` (and feature
        names), so its predictions equal ours and everything built for
        scikit-learn's model (converters, model cards) accepts it.

        Returns
        -------
        sklearn.linear_model.LogisticRegression
            A fitted copy.
        """
        from sklearn.linear_model import LogisticRegression as SkLogisticRegression

        check_is_fitted(self)
        sk_solver = self.solver if self.solver in SOLVER_NAMES[:6] else (
            "lbfgs" if not self.l1_ratio else "saga")
        model = SkLogisticRegression(
            C=self.C, l1_ratio=self.l1_ratio, fit_intercept=self.fit_intercept,
            tol=self.tol, max_iter=self.max_iter, class_weight=self.class_weight,
            random_state=self.random_state, solver=sk_solver, dual=self.dual,
            intercept_scaling=self.intercept_scaling, warm_start=self.warm_start)
        for name in ("classes_", "coef_", "intercept_", "n_iter_", "n_features_in_",
                     "feature_names_in_"):
            if hasattr(self, name):
                setattr(model, name, copy.copy(getattr(self, name)))
        return model


@dataclass
class _Stream:
    """What ``partial_fit`` carries from one chunk to the next."""

    rng: np.random.Generator
    weight: float = 0.0  # sum of the weights of every chunk seen (sets alpha)
    calls: int = 0
    step: float | None = None  # the first chunk's step ("auto": 1/L there)


def _seed(random_state):
    """An ``np.random.default_rng`` seed from scikit-learn's ``random_state`` forms."""
    if isinstance(random_state, np.random.RandomState):
        return random_state.randint(np.iinfo(np.int32).max)
    return random_state
