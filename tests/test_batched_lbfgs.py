"""solvers/batched_lbfgs.py: M lockstep L-BFGS runs against single-model ones."""

import numpy as np

from fastlogreg.comparisons import make_case
from fastlogreg.solvers import BinaryProblem, lbfgs
from fastlogreg.solvers.batched_lbfgs import batched_lbfgs
from fastlogreg.sources import as_source


def _run(case, alpha, chains, tol=1e-8):
    n, d = case.X.shape
    data = as_source(case.X, case.y, np.ones(n))
    M = len(alpha)
    return batched_lbfgs(data, case.sample_weight[None, :], np.zeros(M, dtype=np.int64),
                         np.asarray(alpha), 2, np.zeros((M, d + 1)), fit_intercept=True,
                         max_iter=200, tol=tol, chains=chains)


def test_a_chain_hands_its_last_pass_to_the_next_model():
    """Along a chain (one fold), the next model's first evaluation is its
    predecessor's last pass with its own L2 term: a model already converged
    there costs no read of X, and one that is not follows the single-model
    lbfgs started from the predecessor's solution."""
    case = make_case(400, 6, weighted=True, seed=3)
    alone = _run(case, [0.1], [[0]])
    same = _run(case, [0.1, 0.1], [[0, 1]])
    assert same.n_passes == alone.n_passes  # model 1 converged at its start: no pass
    assert same.n_iter[1] == 0
    np.testing.assert_array_equal(same.theta[1], alone.theta[0])

    chained = _run(case, [0.1, 0.02], [[0, 1]])
    problem = BinaryProblem(case.X, case.y, case.sample_weight, alpha=0.02)
    single = lbfgs(problem, alone.theta[0].copy(), max_iter=200, tol=1e-8)
    assert chained.n_iter[1] == single.n_iter
    np.testing.assert_allclose(chained.theta[1], single.theta, rtol=1e-9, atol=1e-12)
