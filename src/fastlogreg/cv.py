"""Cross-validated logistic regression: every fold and every C from one read of X
per iteration.

:class:`LogisticRegressionCV` is scikit-learn 1.9's class with its fit
replaced for the L2-penalised ``lbfgs`` path: the models of the grid train
together (:func:`.solvers.batched_lbfgs.batched_lbfgs`), each on its fold's
training rows given as row weights (a fold's held-out rows weigh 0, so X is
never copied). Each fold walks the Cs in order, each C warm-started from the
solution at the one before, as scikit-learn's path does; the folds' walks
advance side by side, all running models evaluated by one read of X per
round. The ``n_folds * n_Cs`` held-out accuracies or log-losses come from
one more read (:func:`.solvers.batched_lbfgs.batched_scores`). The
refit is a :class:`fastlogreg.LogisticRegression` fit. Other solvers and L1
or elastic-net penalties fall back to scikit-learn's own fit.

:func:`logistic_regression_path` returns the coefficients along a path of Cs
for one training set on the same machinery.
"""

from __future__ import annotations

import inspect
import numbers
import warnings

import numpy as np
from sklearn.base import _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegressionCV as _SkLogisticRegressionCV
from sklearn.metrics import get_scorer, make_scorer
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import validate_params
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metadata_routing import (
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.validation import _check_method_params, _check_sample_weight

from ._estimator_input import validate_X
from ._validation import encode_labels as _encode_labels
from .estimator import LogisticRegression
from .solvers.batched_lbfgs import batched_lbfgs, batched_scores
from .sources import as_source, is_sparse
from .training import alpha_from_C, threads

__all__ = ["LogisticRegressionCV", "logistic_regression_path"]

_CONVERGENCE_MSG = ("lbfgs did not converge for {n} of the {m} models of the grid "
                    "in max_iter={max_iter} iterations; increase max_iter or "
                    "standardise the features.")


def _grid_Cs(Cs) -> np.ndarray:
    """scikit-learn's grid: ``np.logspace(-4, 4, Cs)`` for an int, else the values."""
    if isinstance(Cs, numbers.Integral):
        return np.logspace(-4, 4, Cs)
    return np.asarray(Cs, dtype=np.float64)


def _fit_grid(X, y_index, n_classes, train_weights, Cs, *, fit_intercept, max_iter, tol):
    """Fit every (fold, C) model of the grid from one read of X per round.

    ``train_weights`` (n_folds, n) are each fold's training weights (class
    weights included, 0 on held-out rows). Returns the source, thetas
    (n_folds, n_Cs, n_params) in a problem's layout, n_iter and status
    (n_folds, n_Cs).
    """
    n_folds = train_weights.shape[0]
    n_cs = Cs.shape[0]
    data = as_source(X, y_index, np.ones(X.shape[0]))
    d = data.n_features
    n_params = d + 1 if n_classes == 2 else n_classes * (d + 1)
    S = train_weights.sum(axis=1)
    alpha = np.array([alpha_from_C(C, S[f]) for f in range(n_folds) for C in Cs])
    fold_of = np.repeat(np.arange(n_folds), n_cs)
    # Each fold walks the Cs in their order, each C warm-started from the
    # solution at the one before (scikit-learn's path: its iterates, and a
    # model already within tol of its predecessor's solution costs no
    # iteration); the folds' walks advance side by side, one read of X per round.
    chains = [list(range(f * n_cs, (f + 1) * n_cs)) for f in range(n_folds)]
    result = batched_lbfgs(data, train_weights, fold_of, alpha, n_classes,
                           np.zeros((n_folds * n_cs, n_params)),
                           fit_intercept=fit_intercept, max_iter=max_iter, tol=tol,
                           chains=chains)
    shape = (n_folds, n_cs)
    return (data, result.theta.reshape(*shape, n_params), result.n_iter.reshape(shape),
            result.status.reshape(shape))


def _sklearn_coefs(thetas, n_features, n_classes, fit_intercept):
    """Problem thetas (..., n_params) as scikit-learn's path coefficients:
    (..., d [+ 1]) binary, (..., K, d [+ 1]) multinomial (intercept last)."""
    d = n_features
    if n_classes == 2:
        return thetas if fit_intercept else thetas[..., :d]
    lead = thetas.shape[:-1]
    W = thetas[..., :n_classes * d].reshape(*lead, n_classes, d)
    if not fit_intercept:
        return W
    return np.concatenate([W, thetas[..., n_classes * d:, None]], axis=-1)


def _train_weights(y_index, n_classes, sample_weight, class_weight, classes):
    """Sample weights times class weights (scikit-learn's per-fold weights)."""
    sw = np.ones(y_index.shape[0]) if sample_weight is None else sample_weight.copy()
    if class_weight is not None:
        cw = compute_class_weight(class_weight, classes=classes,
                                  y=classes[y_index.astype(np.intp)])
        sw *= cw[y_index.astype(np.intp)]
    return sw


class LogisticRegressionCV(_SkLogisticRegressionCV):
    """Logistic regression with the choice of ``C`` by cross-validation,
    scikit-learn 1.9's :class:`~sklearn.linear_model.LogisticRegressionCV`
    with all its parameters, attributes and conventions.

    For ``solver="lbfgs"`` and the L2 penalty (``l1_ratios`` None or all 0)
    the folds are trained together: each fold walks the Cs warm-started along
    its path (scikit-learn's iterates), and each round of their L-BFGS
    iterations (:mod:`fastlogreg.solvers.lbfgs_core`, scikit-learn's options
    and stopping rules) evaluates the running model of every fold with one
    read of X, each fold being row weights (X is never copied,
    float32/float64 and C/F order are read in place).
    Held-out accuracy (the default scoring) and ``"neg_log_loss"`` come from
    one more read; other scorers score each (fold, C) model on its held-out
    rows. The refit (``refit=True``) is a :class:`fastlogreg.LogisticRegression`
    fit started from the folds' mean coefficients at the best C. ``n_jobs``
    is the number of threads of the passes (-1: all; None keeps Numba's).

    Other solvers and ``l1_ratios`` with non-zero values run scikit-learn's
    own fit (one path of fits per fold).

    Parameters
    ----------
    Cs, l1_ratios, fit_intercept, cv, dual, penalty, scoring, solver, tol, \
max_iter, class_weight, n_jobs, verbose, refit, intercept_scaling, \
random_state, use_legacy_attributes
        As in scikit-learn 1.9 (same defaults, including its FutureWarnings
        for ``l1_ratios``, ``scoring`` and ``use_legacy_attributes`` left at
        their defaults).

    Attributes
    ----------
    classes_, coef_, intercept_, Cs_, l1_ratios_, coefs_paths_, scores_, C_, \
l1_ratio_, n_iter_, n_features_in_, feature_names_in_
        As in scikit-learn 1.9, with the same shapes and dict layouts.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.array_api_support = False
        return tags

    def _batched_options(self, penalty, l1_ratios):
        """Whether this fit runs on the batched lbfgs path."""
        return (self.solver == "lbfgs" and penalty == "l2" and not self.dual
                and (l1_ratios is None or np.all(np.asarray(l1_ratios) == 0)))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, **params):
        """Fit the grid of (fold, C) models, choose C and refit.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
        **params : dict
            Metadata for the splitter (``groups``) and the scorer.

        Returns
        -------
        self : object
        """
        _raise_for_params(params, self, "fit")
        options = self._resolve_options()
        penalty, l1_ratios, scoring, legacy = options
        if not self._batched_options(penalty, l1_ratios):
            # scikit-learn's own fit (it warns again about the options it resolves)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                return _SkLogisticRegressionCV.fit.__wrapped__(self, X, y, sample_weight,
                                                              **params)
        X, y = validate_X(self, X, reset=True, y=y)
        classes, y_index = _encode_labels(y)
        self.classes_ = classes
        n_classes = classes.size
        if n_classes < 2:
            raise ValueError(
                "This solver needs samples of at least 2 classes in the data, but the "
                f"data contains only one class: {classes[0]}.")
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        if _routing_enabled():
            routed = process_routing(self, "fit", sample_weight=sample_weight, **params)
            split_params, score_params = routed.splitter.split, routed.scorer.score
        else:
            split_params = {}
            score_params = dict(params)
            if sample_weight is not None:
                score_params["sample_weight"] = sample_weight
        cv = check_cv(self.cv, y, classifier=True)
        folds = list(cv.split(X, y, **split_params))
        class_weight = self._class_weight_dict(y, sample_weight)

        n, d = X.shape
        Cs = _grid_Cs(self.Cs)
        weight = _train_weights(y_index, n_classes, sample_weight, class_weight, classes)
        train_w = np.zeros((len(folds), n))
        test_w = np.zeros((len(folds), n))
        raw = np.ones(n) if sample_weight is None else sample_weight
        for f, (train, test) in enumerate(folds):
            train_w[f, train] = weight[train]
            test_w[f, test] = raw[test]
        with threads(self.n_jobs):
            data, thetas, n_iter, status = _fit_grid(
                X, y_index, n_classes, train_w, Cs, fit_intercept=bool(self.fit_intercept),
                max_iter=int(self.max_iter), tol=float(self.tol))
            if np.any(status != 0):
                warnings.warn(_CONVERGENCE_MSG.format(n=int(np.sum(status != 0)),
                                                      m=status.size, max_iter=self.max_iter),
                              ConvergenceWarning, stacklevel=2)
            scores = self._scores(X, y, data, thetas, n_classes, folds, test_w, Cs,
                                  scoring, score_params)
        self.Cs_ = Cs
        coefs = _sklearn_coefs(thetas, d, n_classes, bool(self.fit_intercept))
        self._set_attributes(X, y, coefs, scores, np.minimum(n_iter, self.max_iter),
                             folds, l1_ratios, penalty, legacy, class_weight,
                             sample_weight)
        return self

    # --- the steps of fit -------------------------------------------------------------

    def _resolve_options(self):
        """``(penalty, l1_ratios, scoring, use_legacy_attributes)`` as scikit-learn
        1.9 resolves its defaults, with the same FutureWarnings."""
        if isinstance(self.l1_ratios, str) and self.l1_ratios == "warn":
            l1_ratios = None
            warnings.warn(
                "The default value for l1_ratios will change from None to (0.0,) in "
                "version 1.10. From version 1.10 onwards, only array-like with values "
                "in [0, 1] will be allowed, None will be forbidden. To avoid this "
                "warning, explicitly set a value, e.g. l1_ratios=(0,).", FutureWarning,
                stacklevel=4)
        else:
            l1_ratios = self.l1_ratios
        if self.penalty == "deprecated":
            if self.l1_ratios is None:
                warnings.warn("'l1_ratios=None' was deprecated in version 1.8 and will "
                              "trigger an error in 1.10. Use an array-like with values"
                              "in [0, 1] instead.", FutureWarning, stacklevel=4)
            if l1_ratios is None or np.all(np.asarray(l1_ratios) == 0):
                penalty = "l2"
            elif np.all(np.asarray(l1_ratios) == 1):
                penalty = "l1"
            else:
                penalty = "elasticnet"
        else:
            penalty = self.penalty
        if self.scoring == "warn":
            warnings.warn(
                "The default value of the parameter 'scoring' will change from None, "
                "i.e. accuracy, to 'neg_log_loss' in version 1.11. To silence this "
                "warning, explicitly set the scoring parameter: scoring='neg_log_loss' "
                "for the new, scoring='accuracy' or scoring=None for the old default.",
                FutureWarning, stacklevel=4)
            scoring = None
        else:
            scoring = self.scoring
        if self.use_legacy_attributes == "warn":
            warnings.warn(
                f"The fitted attributes of {type(self).__name__} will be simplified in "
                "scikit-learn 1.10 to remove redundancy. Set `use_legacy_attributes="
                "False` to enable the new behavior now, or set it to `True` to silence "
                "this warning.", FutureWarning, stacklevel=4)
            legacy = True
        else:
            legacy = self.use_legacy_attributes
        return penalty, l1_ratios, scoring, legacy

    def _class_weight_dict(self, y, sample_weight):
        class_weight = self.class_weight
        if isinstance(class_weight, dict):
            if not set(class_weight.keys()) <= set(self.classes_):
                raise ValueError(
                    "The given class_weight dict must have the class labels as keys; "
                    f"classes={self.classes_} but key={class_weight.keys()}")
        elif class_weight == "balanced":
            values = compute_class_weight(class_weight, classes=self.classes_, y=y,
                                          sample_weight=sample_weight)
            class_weight = dict(zip(self.classes_, values, strict=True))
        return class_weight

    def _scores(self, X, y, data, thetas, n_classes, folds, test_w, Cs, scoring,
                score_params):
        """Held-out scores (n_folds, n_Cs): accuracy and neg_log_loss from one
        read of X (dense data, no routed scorer metadata), others per model."""
        n_folds, n_cs, n_params = thetas.shape
        name = scoring if isinstance(scoring, str) or scoring is None else None
        dense = not is_sparse(X) and not _routing_enabled()
        if name in (None, "accuracy") or (name == "neg_log_loss" and dense):
            fold_of = np.repeat(np.arange(n_folds), n_cs)
            both = batched_scores(data, thetas.reshape(-1, n_params), n_classes, test_w,
                                  fold_of)
            column = -both[:, 0] if name == "neg_log_loss" else both[:, 1]
            return column.reshape(n_folds, n_cs)
        scorer = get_scorer(scoring)
        if hasattr(scorer, "_score_func"):
            sig = inspect.signature(scorer._score_func).parameters
            if "labels" in sig:  # y_test may miss classes: scikit-learn's workaround
                extra = {"pos_label": self.classes_[-1]} if (
                    n_classes == 2 and "pos_label" in sig) else {}
                scorer = make_scorer(scorer._score_func,
                                     greater_is_better=scorer._sign == 1,
                                     response_method=scorer._response_method,
                                     labels=self.classes_, **extra,
                                     **getattr(scorer, "_kwargs", {}))
        coefs = _sklearn_coefs(thetas, X.shape[1], n_classes, True)
        model = LogisticRegression()
        model.classes_ = self.classes_
        model.n_features_in_ = X.shape[1]
        scores = np.empty((n_folds, n_cs))
        for f, (_, test) in enumerate(folds):
            params = _check_method_params(X, params=score_params, indices=test)
            X_test, y_test = X[test], y[test]
            for c in range(n_cs):
                w = coefs[f, c]
                model.coef_ = np.atleast_2d(w[..., :-1])
                model.intercept_ = np.atleast_1d(w[..., -1])
                scores[f, c] = scorer(model, X_test, y_test, **params)
        return scores

    def _set_attributes(self, X, y, coefs, scores, n_iter, folds, l1_ratios, penalty,
                        legacy, class_weight, sample_weight):
        """scikit-learn 1.9's attributes from the grid (its fit's own reshaping)."""
        n_features = X.shape[1]
        n_folds, n_cs = scores.shape
        classes = self.classes_
        is_binary = classes.size == 2
        l1_ratios_ = [None] if l1_ratios is None else list(l1_ratios)
        n_l1 = len(l1_ratios_)
        # one l1_ratio here (all 0): the grid is (folds, l1_ratios, Cs) as scikit-learn's
        paths = np.repeat(coefs[:, None], n_l1, axis=1)
        if is_binary:
            n_out = 1
            keys = classes[1:]
            paths = np.swapaxes(paths.reshape(n_folds, n_l1, n_cs, -1), 1, 2)[None, ...]
        else:
            n_out = classes.size
            keys = classes
            paths = np.moveaxis(paths.reshape(n_folds, n_l1, n_cs, n_out, -1),
                                (0, 1, 3), (1, 3, 0))
        n_iter_ = np.repeat(n_iter[:, None], n_l1, axis=1)
        self.n_iter_ = np.swapaxes(n_iter_, 1, 2)[None, ...].astype(np.int32)
        sc = np.swapaxes(np.repeat(scores[:, None], n_l1, axis=1), 1, 2)[None, ...]
        sc = np.tile(sc, (n_out, 1, 1, 1))
        self.scores_ = dict(zip(keys, sc, strict=True))
        self.coefs_paths_ = dict(zip(keys, paths, strict=True))
        scores_k = self.scores_[keys[0]]
        C_, l1_ratio_ = [], []
        if self.refit:
            total = scores_k.sum(axis=0)
            best = np.unravel_index(np.argmax(total), total.shape)
            C_.append(self.Cs_[best[0]])
            l1_ratio_.append(l1_ratios_[best[1]])
            if is_binary:
                init = np.mean(paths[0, :, best[0], best[1], :], axis=0)
            else:
                init = np.mean(paths[:, :, best[0], best[1], :], axis=1)
            w = self._refit(X, y, C_[0], init, class_weight, sample_weight)
        else:
            flat = scores_k.reshape(n_folds, -1)
            best = np.unravel_index(np.argmax(flat, axis=1), (n_cs, n_l1))
            best = list(zip(*best, strict=True))
            if is_binary:
                w = np.mean([paths[0, i, best[i][0], best[i][1], :]
                             for i in range(n_folds)], axis=0)
            else:
                w = np.mean([paths[:, i, best[i][0], best[i][1], :]
                             for i in range(n_folds)], axis=0)
            C_.append(np.mean(self.Cs_[np.asarray(best)[:, 0]]))
            l1_ratio_.append(0.0)
        self.intercept_ = np.zeros(n_out)
        if is_binary:
            self.coef_ = w[:n_features][None, :]
            if self.fit_intercept:
                self.intercept_[0] = w[-1]
        else:
            C_ = np.tile(C_, n_out)
            l1_ratio_ = np.tile(l1_ratio_, n_out)
            self.coef_ = w[:, :n_features]
            if self.fit_intercept:
                self.intercept_ = w[:, -1]
        self.C_ = np.asarray(C_)
        self.l1_ratio_ = np.asarray(l1_ratio_)
        self.l1_ratios_ = np.asarray(l1_ratios_)
        if l1_ratios is None:
            for key in keys:
                self.coefs_paths_[key] = self.coefs_paths_[key][:, :, 0, :]
                self.scores_[key] = self.scores_[key][:, :, 0]
            self.n_iter_ = self.n_iter_[:, :, :, 0]
        if not legacy:
            n_dof = n_features + int(self.fit_intercept)
            self.C_ = float(self.C_[0])
            newpaths = np.concatenate(list(self.coefs_paths_.values()))
            newscores = self.scores_[keys[0]]
            newniter = self.n_iter_[0]
            if l1_ratios is None:
                newpaths = newpaths.reshape(n_out, n_folds, n_cs, 1, n_dof)
                newscores = newscores.reshape(n_folds, n_cs, 1)
                newniter = newniter.reshape(n_folds, n_cs, 1)
                self.l1_ratio_ = 1.0 if self.penalty == "l1" else 0.0
            else:
                self.l1_ratio_ = float(self.l1_ratio_[0])
                newpaths = newpaths.reshape(n_out, n_folds, n_cs, n_l1, n_dof)
            self.coefs_paths_ = np.moveaxis(newpaths, (0, 1, 3), (3, 0, 1))
            self.scores_ = np.moveaxis(newscores, (1, 2), (2, 1))
            self.n_iter_ = np.moveaxis(newniter, (1, 2), (2, 1))

    def _refit(self, X, y, C, init, class_weight, sample_weight):
        """Refit at the best C from the folds' mean coefficients (scikit-learn's
        warm start) with :class:`fastlogreg.LogisticRegression`."""
        model = LogisticRegression(C=float(C), fit_intercept=bool(self.fit_intercept),
                                   tol=self.tol, max_iter=self.max_iter,
                                   class_weight=class_weight, solver="lbfgs",
                                   warm_start=True, n_jobs=self.n_jobs)
        init = np.atleast_2d(init)
        d = X.shape[1]
        model.classes_ = self.classes_
        model.coef_ = init[:, :d]
        model.intercept_ = init[:, d] if self.fit_intercept else np.zeros(init.shape[0])
        model.fit(X, y, sample_weight=sample_weight)
        w = model.coef_
        if self.fit_intercept:
            w = np.column_stack([w, model.intercept_])
        return w[0] if self.classes_.size == 2 else w


@validate_params(
    {"X": ["array-like", "sparse matrix"], "y": ["array-like"],
     "Cs": [numbers.Integral, "array-like"], "fit_intercept": ["boolean"],
     "max_iter": [numbers.Integral], "tol": [numbers.Real],
     "class_weight": [dict, str, None], "sample_weight": ["array-like", None],
     "n_jobs": [numbers.Integral, None]},
    prefer_skip_nested_validation=True,
)
def logistic_regression_path(X, y, Cs=10, *, fit_intercept=True, max_iter=100, tol=1e-4,
                             class_weight=None, sample_weight=None, n_jobs=None):
    """Coefficients of L2-penalised logistic regression along a path of Cs.

    scikit-learn's objective (``C sum_i s_i loss_i + ||W||^2 / 2``, binary or
    multinomial by the number of classes) for each C, each C warm-started
    from the solution at the one before (scikit-learn's path), by the batched
    lbfgs of :class:`LogisticRegressionCV`.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        float32/float64 dense X in C or F order is read in place.
    y : array-like of shape (n_samples,)
    Cs : int or array-like, default=10
        Values of C, or their number on ``np.logspace(-4, 4, Cs)``.
    fit_intercept : bool, default=True
    max_iter : int, default=100
    tol : float, default=1e-4
        lbfgs's ``gtol`` on the max-norm of the gradient of the mean objective.
    class_weight : dict, "balanced" or None
    sample_weight : array-like of shape (n_samples,), optional
    n_jobs : int, optional
        Threads of the passes (-1: all; None keeps Numba's setting).

    Returns
    -------
    coefs : ndarray of shape (n_cs, n_features + int(fit_intercept)) for two
        classes, (n_cs, n_classes, n_features + int(fit_intercept)) for more;
        the intercept last, as scikit-learn's ``_logistic_regression_path``.
    Cs : ndarray of shape (n_cs,)
    n_iter : ndarray of shape (n_cs,)
    """
    probe = LogisticRegression()  # validation of X, y as the estimator does it
    X, y = validate_X(probe, X, reset=True, y=y)
    classes, y_index = _encode_labels(y)
    if classes.size < 2:
        raise ValueError(f"y has only one class ({classes[0]!r}); at least 2 are needed.")
    if sample_weight is not None:
        sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
    if class_weight == "balanced":
        class_weight = dict(zip(classes, compute_class_weight(
            "balanced", classes=classes, y=y, sample_weight=sample_weight), strict=True))
    weight = _train_weights(y_index, classes.size, sample_weight, class_weight, classes)
    if not weight.sum() > 0:
        raise ValueError("the sample (and class) weights sum to 0; at least one must be > 0.")
    Cs = _grid_Cs(Cs)
    with threads(n_jobs):
        _, thetas, n_iter, status = _fit_grid(X, y_index, classes.size, weight[None], Cs,
                                              fit_intercept=fit_intercept,
                                              max_iter=int(max_iter), tol=float(tol))
    if np.any(status != 0):
        warnings.warn(_CONVERGENCE_MSG.format(n=int(np.sum(status != 0)), m=status.size,
                                              max_iter=max_iter),
                      ConvergenceWarning, stacklevel=2)
    coefs = _sklearn_coefs(thetas[0], X.shape[1], classes.size, fit_intercept)
    return coefs, Cs, np.minimum(n_iter[0], max_iter)
