"""A pytest plugin: scikit-learn's own tests, with fastlogreg's class in its place.

Loaded with ``-p fastlogreg_swap`` by ``tests/test_sklearn_suite.py``. Before
collection it puts :class:`fastlogreg.LogisticRegression` where
``from sklearn.linear_model import LogisticRegression`` finds it (the way
scikit-learn-intelex runs scikit-learn's suite on its patched estimators),
and deselects the tests listed in ``deselect.py`` beside this file.
``FASTLOGREG_SWAP=0`` runs the same suite on scikit-learn's own class.
"""

import os

from deselect import DESELECT


def pytest_configure(config):
    if os.environ.get("FASTLOGREG_SWAP", "1") == "1":
        import sklearn.linear_model

        import fastlogreg

        sklearn.linear_model.LogisticRegression = fastlogreg.LogisticRegression


def _name(item) -> str:
    return item.nodeid.split("::", 1)[-1]


def pytest_collection_modifyitems(config, items):
    keep, drop = [], []
    for item in items:
        name = _name(item)
        listed = name in DESELECT or name.split("[", 1)[0] in DESELECT
        (drop if listed else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
