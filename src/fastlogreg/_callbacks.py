"""scikit-learn's callback API (``sklearn.callback``) fed by our monitor's records."""

from __future__ import annotations

__all__ = ["CallbackBridge"]


class CallbackBridge:
    """scikit-learn's callback hooks (``sklearn.callback``) at every lbfgs iteration.

    The root task begins before solving; each iteration is a subtask whose
    begin and end carry the coefficients, as scikit-learn's lbfgs reports
    them, with the one extra empty subtask scikit-learn's ends with.
    """

    @classmethod
    def start(cls, estimator, X, y, sample_weight, split, theta0):
        """The bridge of a fit, or None when no scikit-learn callback is set."""
        if not getattr(estimator, "_skl_callbacks", None):
            return None
        self = cls()
        self.estimator, self.X, self.y, self.split = estimator, X, y, split
        self.metadata = {"sample_weight": sample_weight}
        self.per_iteration = estimator.solver == "lbfgs"
        self.root = estimator._init_callback_context(
            max_subtasks=max(estimator.max_iter, 1) + 1 if self.per_iteration else 0)
        self.root.call_on_fit_task_begin(estimator=estimator, X=X, y=y,
                                         metadata=self.metadata)
        self.current = self._begin(theta0) if self.per_iteration else None
        return self

    def _attrs(self, theta):
        coef, intercept = self.split(theta)
        return {"coef_": coef, "intercept_": intercept}

    def _begin(self, theta):
        ctx = self.root.subcontext(task_name="lbfgs-iter")
        ctx.call_on_fit_task_begin(estimator=self.estimator, X=self.X, y=self.y,
                                   metadata=self.metadata,
                                   reconstruction_attributes=self._attrs(theta))
        return ctx

    def __call__(self, iteration, theta) -> bool:
        stop = self.current.call_on_fit_task_end(
            estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata,
            reconstruction_attributes=self._attrs(theta))
        self.current = self._begin(theta)
        return bool(stop)

    def close(self) -> None:
        if self.current is not None:  # the extra empty subtask, as scikit-learn's
            self.current.call_on_fit_task_end(estimator=self.estimator)

    def finish(self) -> None:
        self.root.call_on_fit_task_end(estimator=self.estimator, X=self.X, y=self.y,
                                       metadata=self.metadata,
                                       reconstruction_attributes={})
