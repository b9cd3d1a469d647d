"""Tests of scikit-learn 1.9's ``linear_model/tests/test_logistic.py`` left out when it
runs on :class:`fastlogreg.LogisticRegression` (``tests/test_sklearn_suite.py``).

Each key is a test name (all its parameters) or one parametrised id; each value
the reason. Only tests of scikit-learn's private internals or of a documented
deliberate difference (docs: "Differences from scikit-learn") may be listed; never
a numerical comparison.
"""

DESELECT = {
    "test_logisticregression_warns_with_n_jobs":
        "deliberate difference: n_jobs sets fastlogreg's threads, so it raises no 'has no "
        "effect' FutureWarning",
    "test_logistic_cv_multinomial_score":
        "private internals: feeds LogisticRegression().get_params() (with fastlogreg's "
        "extra parameters) into scikit-learn's private _log_reg_scoring_path",
    "test_liblinear_dual_random_state":
        "deliberate difference: liblinear's dual coordinate descent stops at a "
        "random_state-dependent point; fastlogreg solves the same objective to its "
        "optimum, so random_state cannot change the result (the test asserts that it "
        "does)",
}
