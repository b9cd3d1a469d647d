"""Probability kernels against the oracle's sigmoid and softmax."""

import numpy as np
import pytest

from fastlogreg import reference as ref
from fastlogreg.kernels import link

Z = np.array([-1e300, -1e4, -745.0, -40.0, -1.5, 0.0, 1e-20, 2.0, 40.0, 745.0, 1e300])


def test_binary_proba_matches_oracle_and_keeps_tails():
    out = np.empty((Z.size, 2))
    link.binary_proba(Z, out, False)
    np.testing.assert_allclose(out[:, 1], ref.sigmoid(Z), rtol=1e-15)
    np.testing.assert_allclose(out[:, 0], ref.sigmoid(-Z), rtol=1e-15)
    assert out[3, 1] == pytest.approx(np.exp(-40.0), rel=1e-14)  # not 1 - (1 - tiny)
    logs = np.empty_like(out)
    link.binary_proba(Z, logs, True)
    assert np.isfinite(logs).all()
    np.testing.assert_allclose(logs[:, 1], -ref.log_loss_from_logits(np.ones_like(Z), Z),
                               rtol=1e-15)
    np.testing.assert_allclose(logs[:, 0], -ref.log_loss_from_logits(np.zeros_like(Z), Z),
                               rtol=1e-15)


def test_softmax_rows_matches_oracle():
    rng = np.random.default_rng(0)
    logits = np.vstack([rng.standard_normal((50, 4)) * 10, [[1e300, 0.0, -1e300, 5.0]]])
    P = logits.copy()
    link.softmax_rows(P, False)
    np.testing.assert_allclose(P, ref.softmax(logits), rtol=1e-14, atol=1e-300)
    L = logits.copy()
    link.softmax_rows(L, True)
    with np.errstate(divide="ignore"):
        want = np.log(ref.softmax(logits[:-1]))
    np.testing.assert_allclose(L[:-1], want, rtol=1e-12, atol=1e-12)
    assert np.isfinite(L[-1]).all() and L[-1, 0] == 0.0
