"""Threads: bit-identical results for any thread count, and concurrent fits that
neither crash nor differ, under a thread-safe layer and under ``workqueue``.

Each thread count needs its own process (``NUMBA_NUM_THREADS`` is read once, at
import); counts above the machine's cores are fine: the blocks are fixed, so
only who computes them changes.
"""

import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from fastlogreg import _threading

# The passes and fits whose bits are compared, each printed as a hex digest of
# its output. Sizes are just above the parallel threshold (2**17 elements).
_PASSES = textwrap.dedent("""
    import hashlib, warnings
    import numpy as np, numba, scipy.sparse as sp
    import fastlogreg
    from fastlogreg import LogisticRegression
    from fastlogreg.sources import as_source, use_threads
    warnings.simplefilter("ignore")
    def digest(*arrays):
        h = hashlib.sha256()
        for a in arrays:
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()[:16]
    rng = np.random.default_rng(0)
    n, d, K = 12_000, 20, 3
    X = rng.standard_normal((n, d))
    XF = np.asfortranarray(X, dtype=np.float32)
    y2 = (X[:, 0] + 0.5 * rng.standard_normal(n) > 0).astype(float)
    yK = (np.abs(X[:, 1] * 2).astype(int) % K).astype(float)
    sw = rng.uniform(0.1, 2.0, n)
    w, b = rng.standard_normal(d) * 0.1, 0.3
    W, bK = rng.standard_normal((K, d)) * 0.1, rng.standard_normal(K) * 0.1
    Xs = sp.random(n, 60, density=0.2, format="csr", random_state=1)
    out = {}
    out["parallel"] = str(use_threads(X.size))
    out["dense"] = digest(as_source(X, y2, sw).binary_sums(w, b, True),
                          as_source(XF, y2, sw).binary_sums(w, b, True))
    out["multinomial"] = digest(as_source(X, yK, sw).multinomial_sums(W, bK),
                                as_source(XF, yK, sw).multinomial_sums(W, bK))
    ws = rng.standard_normal(60) * 0.1
    WS = rng.standard_normal((K, 60)) * 0.1
    out["sparse"] = digest(as_source(Xs, y2, sw).binary_sums(ws, b, True),
                           as_source(Xs, yK, sw).multinomial_sums(WS, bK))
    fits = []
    for solver in ("lbfgs", "gd", "nesterov", "sgd"):
        m = LogisticRegression(solver=solver, max_iter=15, random_state=0)
        m.fit(X, yK, sample_weight=sw)
        fits += [m.coef_, m.intercept_, m.predict_proba(X)]
    r = fastlogreg.fit(XF, y2, epochs=15, learning_rate=0.5)
    out["fit"] = digest(*fits, r.coef, np.array(r.intercept), r.predict_proba(X))
    print(numba.get_num_threads(), repr(out))
""")


def _run(code, **env):
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=600)
    assert done.returncode == 0, (env, done.returncode, done.stderr[-2000:])
    return done.stdout.strip()


def test_bits_do_not_depend_on_the_thread_count():
    """The dense (C and F, float64 and float32), multinomial and sparse passes
    and whole fits of every solver give the same bits on 1, 2, 3, 4 and 8
    threads (1 thread runs the serial passes)."""
    # Compile (or load) the serial and the parallel kernels first: a run that
    # compiles calls its fresh callees, whose last bits may differ from the
    # cached kernels' own copies (docs/user_guide/promises.rst, Threads).
    for threads in (1, 2):
        _run(_PASSES, NUMBA_NUM_THREADS=str(threads))
    results = {}
    for threads in (1, 2, 3, 4, 8):
        line = _run(_PASSES, NUMBA_NUM_THREADS=str(threads))
        count, _, digests = line.partition(" ")
        assert int(count) == threads
        results[threads] = eval(digests)  # a dict literal printed by the child
    assert results[1]["parallel"] == "False"
    assert all(results[t]["parallel"] == "True" for t in (2, 3, 4, 8))
    for key in ("dense", "multinomial", "sparse", "fit"):
        seen = {t: r[key] for t, r in results.items()}
        assert len(set(seen.values())) == 1, (key, seen)


_CONCURRENT = textwrap.dedent("""
    import threading, warnings
    import numpy as np, numba
    import fastlogreg
    from fastlogreg import LogisticRegression
    warnings.simplefilter("ignore")
    print(numba.threading_layer())
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20_000, 20))
    y = (X[:, 0] + rng.standard_normal(20_000) > 0).astype(int)
    def fit(k):
        if k % 2:
            return fastlogreg.fit(X, y, epochs=20, learning_rate=0.5).coef
        return LogisticRegression(max_iter=20, solver=("lbfgs", "gd")[k % 4 // 2]
                                  ).fit(X, y).predict_proba(X)
    alone = [fit(k) for k in range(4)]
    together = [None] * 8
    def work(k):
        together[k] = fit(k % 4)
    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(all(np.array_equal(together[k], alone[k % 4]) for k in range(8)))
""")


def test_concurrent_fits_are_bit_identical_to_fits_alone():
    """Eight fits (estimator and functional, lbfgs and gd) in eight Python
    threads at once, under the layer fastlogreg picks: the bits of each fit
    alone."""
    layer, same = _run(_CONCURRENT).splitlines()
    assert layer in ("omp", "tbb")  # a thread-safe layer was picked
    assert same == "True"


def test_concurrent_fits_under_workqueue():
    """The fuzz's SIGABRT: concurrent fits under Numba's workqueue layer, which
    is not thread safe. A user who chooses it keeps it, and fastlogreg's
    entry points then take turns (a lock) instead of crashing the process."""
    layer, same = _run(_CONCURRENT, NUMBA_THREADING_LAYER="workqueue",
                       NUMBA_NUM_THREADS="2").splitlines()
    assert layer == "workqueue"
    assert same == "True"


def test_a_thread_safe_layer_is_picked_unless_the_user_chose():
    code = "import fastlogreg, numba; print(numba.threading_layer())"
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_THREADING_LAYER"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=300, check=True)
    assert done.stdout.strip() in ("omp", "tbb")
    # workqueue first in Numba's priority order: fastlogreg still asks for a safe one
    assert _run(code, NUMBA_THREADING_LAYER_PRIORITY="workqueue omp tbb") in ("omp", "tbb")


def test_exclusive_is_a_lock_only_under_workqueue():
    held = _threading.exclusive()
    if _threading.layer() == "workqueue":
        assert held is _threading._LOCK
    else:
        with held:
            pass
        assert held is not _threading._LOCK

@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # 10 its
@pytest.mark.parametrize("threads", [1, 3])
def test_n_jobs_within_a_process_keeps_the_bits(threads):
    """n_jobs changes Numba's thread count inside one process: same bits."""
    from fastlogreg import LogisticRegression

    rng = np.random.default_rng(1)
    X = rng.standard_normal((10_000, 20))
    y = (X[:, 0] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 10 iterations each
        # compile first: a compiling fit may be an ulp from later ones
        # (docs/user_guide/promises.rst, Threads)
        for n_jobs in (1, threads):
            LogisticRegression(max_iter=10, n_jobs=n_jobs, tol=0).fit(X, y)
        a = LogisticRegression(max_iter=10, n_jobs=1, tol=0).fit(X, y)
        b = LogisticRegression(max_iter=10, n_jobs=threads, tol=0).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
