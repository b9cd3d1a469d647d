"""Every error message the docs document is asserted by some test.

``docs/user_guide/errors.rst`` lists the messages a user may meet, each as a
literal excerpt in the first column of its tables. Each excerpt must be
matched by a string of some test file: a ``match=`` pattern of
``pytest.raises`` / ``pytest.warns`` (as a regex; in an f-string each
replacement field matches anything), or an expected message in a table or an
``"..." in err`` assertion (as a literal). So a documented message cannot
drift from what the code says without a test noticing.

The behaviour behind each message is tested where it is raised, in that
module's test file. The few below are the documented errors that no module
test file asserted when this check replaced the README's table parser.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from fastlogreg import LogisticRegression, save_model
from fastlogreg.cli import main

ROOT = Path(__file__).resolve().parents[1]
ERRORS = ROOT / "docs" / "user_guide" / "errors.rst"
# A shorter string ("X", "sparse") or a single word would match many messages.
MIN_CHARS = 8


def documented_messages() -> list[str]:
    """The message excerpts of the errors tables (first column, in backticks)."""
    return re.findall(r"^   \* - ``(.+)``$", ERRORS.read_text(encoding="utf-8"), re.M)


def _phrase(text: str) -> bool:
    return len(text) >= MIN_CHARS and " " in text.strip()


def _pattern(node: ast.expr) -> str | None:
    """A ``match=`` argument as a regex (an f-string's fields match anything)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else ".+?" for v in node.values)
    return None


def asserted_texts() -> tuple[list[str], list[str]]:
    """The ``match=`` patterns and the other strings (docstrings aside) of the tests.

    Strings other than patterns are read as literals with regex escapes
    (``\\(``) removed, since expected-message tables often feed ``match=``.
    """
    patterns, literals = [], []
    for path in sorted(ROOT.joinpath("tests").glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.value) for node in ast.walk(tree)
                      if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "match":
                pattern = _pattern(node.value)
                if pattern is not None:
                    patterns.append(pattern)
            elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
                  and id(node) not in docstrings):
                literals.append(re.sub(r"\\(.)", r"\1", node.value))
    return [p for p in patterns if _phrase(p)], [t for t in literals if _phrase(t)]


MESSAGES = documented_messages()
PATTERNS, LITERALS = asserted_texts()


def _matches(pattern: str, message: str) -> bool:
    try:
        return re.search(pattern, message) is not None
    except re.error:
        return pattern in message


def test_the_errors_page_lists_messages():
    assert len(MESSAGES) >= 40, "no errors tables found in docs/user_guide/errors.rst"


@pytest.mark.parametrize("message", MESSAGES)
def test_documented_message_is_asserted_by_a_test(message):
    covered = (any(_matches(p, message) for p in PATTERNS)
               or any(text in message for text in LITERALS))
    assert covered, (
        f"no test asserts the documented message {message!r}: add a "
        "pytest.raises(..., match=...) for it in the test file of the module that "
        "raises it, or correct docs/user_guide/errors.rst")


# --- documented errors that no module test file asserted -------------------------------

rng = np.random.default_rng(0)
X = rng.standard_normal((60, 4))
Y = (X[:, 0] > 0).astype(int)


def test_estimator_parameters_are_validated_in_scikit_learns_words():
    with pytest.raises(ValueError, match=r"The 'C' parameter of LogisticRegression must be"):
        LogisticRegression(C=0).fit(X, Y)
    with pytest.raises(ValueError, match=r"Solver lbfgs supports only 'l2' or None penalties"):
        LogisticRegression(l1_ratio=1.0).fit(X, Y)
    with pytest.raises(ValueError,
                       match=r"The 'liblinear' solver does not support multiclass"):
        LogisticRegression(solver="liblinear").fit(X, np.arange(60) % 3)


def test_max_iter_reached_warns_in_one_sentence():
    with pytest.warns(ConvergenceWarning,
                      match=r"solver='gd' did not converge in max_iter=\d+ iterations"):
        LogisticRegression(solver="gd", max_iter=1).fit(X, Y)


def _cli_error(capsys, *args) -> str:
    code = main([str(a) for a in args])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, (code, err)
    return err


def test_command_line_data_errors(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    np.savez("data.npz", features=X, y=Y)
    err = _cli_error(capsys, "train", "data.npz", "--out", "m.npz")
    assert "data.npz has no array 'X'" in err
    pd = pytest.importorskip("pandas", reason="column names and types come from pandas")
    pd.DataFrame({"a": [1.0, 2.0, 3.0], "city": ["Paris", "Oslo", "Rome"],
                  "y": [0, 1, 0]}).to_csv("data.csv", index=False)
    err = _cli_error(capsys, "train", "data.csv", "--target", "y", "--out", "m.npz")
    assert "column 'city' of data.csv is not numeric" in err
    save_model(LogisticRegression().fit(pd.DataFrame(X, columns=list("abcd")), Y),
               "named.npz")
    pd.DataFrame(X, columns=list("abce")).to_csv("new.csv", index=False)
    err = _cli_error(capsys, "predict", "named.npz", "new.csv")
    assert "new.csv lacks the column(s)" in err and "the model was trained on" in err



def test_functional_fit_input_errors():
    import scipy.sparse as sp

    import fastlogreg

    with pytest.raises(TypeError, match=r"X is a sparse matrix; fastlogreg.fit trains on"):
        fastlogreg.fit(sp.csr_matrix(X), Y)
    with pytest.raises(ValueError, match=r"y has \d+ entries but X has \d+ samples"):
        fastlogreg.fit(X, Y[:-1])
    with pytest.raises(TypeError, match=r"callback must be callable"):
        fastlogreg.fit(X, Y, callback=1)
    model = fastlogreg.fit(X, Y, epochs=2)
    with pytest.raises(ValueError, match=r"X has 5 features, but the model was fitted with 4"):
        model.predict(np.ones((2, 5)))


def test_estimator_data_errors():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match=r"This LogisticRegression instance is not"):
        LogisticRegression().predict(X)
    with pytest.raises(ValueError, match=r"the sample \(and class\) weights sum to 0"):
        LogisticRegression(class_weight={0: 0.0, 1: 0.0}).fit(X, Y)
    with pytest.raises(ValueError, match=r"class_weight='balanced' needs the whole data set"):
        LogisticRegression(solver="sgd", class_weight="balanced").partial_fit(
            X, Y, classes=[0, 1])


def test_dask_input_errors():
    da = pytest.importorskip("dask.array")
    Xd, Yd = da.from_array(X, chunks=(20, 4)), da.from_array(Y, chunks=20)
    with pytest.raises(ValueError, match=r"solver='sgd' shuffles rows in memory and does not"):
        LogisticRegression(solver="sgd").fit(Xd, Yd)
    with pytest.raises(TypeError, match=r"y is a Dask array but X is not"):
        LogisticRegression().fit(X, Yd)
    unknown = Xd[Xd[:, 0] > 0]
    with pytest.raises(ValueError, match=r"X has unknown chunk sizes; call X.compute_chunk"):
        LogisticRegression().fit(unknown, Yd[: len(Y)])


def test_command_line_target_of_an_array_file_is_an_index(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    np.save("data.npy", np.column_stack([X, Y]))
    err = _cli_error(capsys, "train", "data.npy", "--target", "label", "--out", "m.npz")
    assert "--target must be a column index" in err
