"""partial_fit's stream (``fastlogreg.streaming``): its checks and its one epoch."""

import numpy as np
import pytest

from fastlogreg import reference as ref
from fastlogreg.comparisons import make_case
from fastlogreg.solvers import DivergenceWarning
from fastlogreg.streaming import Stream, encode_chunk, stream_classes


def test_stream_classes_errors_and_the_classes_in_force():
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        stream_classes(None, None)
    with pytest.raises(ValueError, match=r"at least 2 labels; got \[0\]"):
        stream_classes([0, 0], None)
    with pytest.raises(ValueError, match="differs from the classes of the model") as info:
        stream_classes([2, 0, 1], np.array([0, 1]))
    assert str(info.value) == ("classes=[0, 1, 2] differs from the classes of the model, "
                               "[0, 1].")
    np.testing.assert_array_equal(stream_classes(["b", "a", "b"], None), ["a", "b"])
    fitted = np.array([3, 7])
    assert stream_classes(None, fitted) is fitted  # later calls may omit classes


def test_encode_chunk_names_the_unknown_labels():
    classes = np.array([1, 3, 5])
    index = encode_chunk(np.array([5, 1, 3, 3]), classes)
    assert index.dtype == np.float64
    np.testing.assert_array_equal(index, [2, 0, 1, 1])
    with pytest.raises(ValueError, match=r"y holds labels not in classes: \[0, 4, 9\]"):
        encode_chunk(np.array([1, 4, 9, 0, 4]), classes)
    with pytest.raises(ValueError, match=r"y holds labels not in classes: \[1\]"):
        encode_chunk(np.array([0, 1, 2]), np.array([0, 2]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_two_epochs_are_the_oracles_with_the_penalty_of_every_row_seen(dtype):
    case = make_case(120, 3, dtype=dtype, weighted=True, seed=41)
    S, C = float(case.sample_weight.sum()), 2.0
    stream = Stream(np.random.default_rng(3))
    coef = intercept = None
    for _ in range(2):
        coef, intercept = stream.epoch(
            case.X, case.y, case.sample_weight, 2, coef, intercept, C=C,
            fit_intercept=True, learning_rate=0.2, schedule="invscaling", batch_size=16,
            n_jobs=None)
    assert coef.shape == (1, 3) and coef.dtype == dtype and intercept.dtype == dtype
    assert stream.calls == 2 and stream.weight == pytest.approx(2 * S)
    rng = np.random.default_rng(3)
    w, b = np.zeros(3), 0.0
    for t in range(2):  # the second chunk's penalty is fit's on both: 1 / (C 2S)
        w, b, _, _ = ref.minibatch_epoch(case.X, case.y, w, b, rng.permutation(120), 16,
                                         0.2 / np.sqrt(t + 1), alpha=1 / (C * (t + 1) * S),
                                         sample_weight=case.sample_weight)
    tol = 1e-5 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(coef[0], w, rtol=tol)
    assert intercept[0] == pytest.approx(b, rel=tol)


def test_a_diverging_epoch_is_undone_with_a_warning():
    case = make_case(60, 2, scale=1e3, seed=42)
    stream = Stream(np.random.default_rng(0))
    with pytest.warns(DivergenceWarning):
        coef, intercept = stream.epoch(
            case.X, case.y, case.sample_weight, 2, np.zeros((1, 2)), np.zeros(1),
            C=np.inf, fit_intercept=True, learning_rate=1e300, schedule="constant",
            batch_size=8, n_jobs=None)
    np.testing.assert_array_equal(coef, 0.0)
    np.testing.assert_array_equal(intercept, 0.0)
    assert stream.calls == 1
