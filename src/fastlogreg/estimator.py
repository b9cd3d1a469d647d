"""A scikit-learn-compatible ``LogisticRegression`` on the fused kernels.

As scikit-learn's own estimator, it validates once (:mod:`._estimator_input`)
and then calls one path function, :func:`.training.fit_path`, which
:func:`fastlogreg.fit` calls too; ``partial_fit`` runs a
:class:`.streaming.Stream`.
"""

from __future__ import annotations

import copy
import warnings
from functools import partial
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Hidden, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from . import solvers, training
from ._callbacks import CallbackBridge
from ._estimator_input import fit_input, sample_weights, validate_X
from ._threading import exclusive
from .sources.dask_arrays import is_dask_array
from .sources.predict import decision_function as _logits
from .sources.predict import probabilities
from .streaming import Stream, encode_chunk, stream_classes
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
        X, y, y_index, weight = fit_input(self, X, y, sample_weight)
        warm = self.warm_start and hasattr(self, "coef_")  # a coef_ of another shape: 0
        training.fit_path(
            X, y_index, weight, self.classes_.size, solver=self.solver, C=C, l1_ratio=l1_ratio,
            fit_intercept=bool(self.fit_intercept), intercept_scaling=self.intercept_scaling,
            validation_fraction=self.validation_fraction if self.early_stopping else None,
            coef_init=self.coef_ if warm else None,
            intercept_init=self.intercept_ if warm and self.fit_intercept else None,
            max_iter=int(self.max_iter), tol=float(self.tol),
            record_every=int(self.record_every), learning_rate=self.learning_rate,
            batch_size=self.batch_size, schedule=self.schedule,
            n_iter_no_change=int(self.n_iter_no_change), random_state=self.random_state,
            n_jobs=self.n_jobs, verbose=int(self.verbose), callback=self.callback,
            callback_bridge=partial(CallbackBridge.start, self, X, y, weight),
            keep=self._keep)
        self.__dict__.pop("_stream", None)  # a later partial_fit starts a new stream
        return self

    def _keep(self, fitted: training.Fitted) -> None:
        """Store a fit's outcome (or, on Ctrl-C, its last record's) as attributes."""
        self.coef_, self.intercept_ = fitted.coef, fitted.intercept
        self.n_iter_ = np.array([fitted.n_iter], dtype=np.int32)
        self.history_ = fitted.history
        if fitted.validation_scores is not None:
            self.validation_scores_ = fitted.validation_scores

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
        classes = stream_classes(classes, None if first else self.classes_)
        if isinstance(self.class_weight, str):
            raise ValueError("class_weight='balanced' needs the whole data set and is "
                             "not supported by partial_fit; pass a dict of weights.")
        X, y = validate_X(self, X, reset=first, y=y)
        y_index = encode_chunk(y, classes)
        weight = sample_weights(self.class_weight, X, y, y_index, classes, sample_weight)
        if "_stream" not in self.__dict__:
            self._stream = Stream(training.rng(self.random_state))
        self.coef_, self.intercept_ = self._stream.epoch(
            X, y_index, weight, classes.size, None if first else self.coef_,
            None if first else self.intercept_, C=self.C,
            fit_intercept=bool(self.fit_intercept), learning_rate=self.learning_rate,
            schedule=self.schedule, batch_size=self.batch_size, n_jobs=self.n_jobs)
        self.classes_ = classes
        self.n_iter_ = np.array([self._stream.calls], dtype=np.int32)
        return self

    # --- prediction ------------------------------------------------------------------

    def decision_function(self, X) -> np.ndarray:
        """Logits: shape (n_samples,) for two classes, (n_samples, n_classes) for more.

        X is read in place (a float32 X is not copied to float64).

        Parameters
        ----------
        X : {array-like, sparse matrix, Dask array} of shape (n_samples, n_features)
            Samples with the features seen by ``fit``.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            The logits ``X @ coef_.T + intercept_``, float64.
        """
        check_is_fitted(self)
        if is_dask_array(X):
            return self._dask_map("decision_function", X)
        X, _ = validate_X(self, X, reset=False)
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

        Computed in log space, not as ``log(predict_proba(X))``, so a
        probability that rounds to 0 still has a finite logarithm.

        Parameters
        ----------
        X : {array-like, sparse matrix, Dask array} of shape (n_samples, n_features)
            Samples; for a Dask array, a lazy result chunked as its rows.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Column ``k`` holds ``log P(classes_[k] | x)``.
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
        proba : ndarray of shape (n_samples, n_classes)
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
            Samples to classify.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            For each row, the class of ``classes_`` with the largest logit.
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
