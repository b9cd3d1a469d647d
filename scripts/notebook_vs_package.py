"""Reproduce the notebook's own run, defects included, beside fastlogreg.

The notebook "Logistic Regression From Scratch" derives dz = a - y and
averaged gradients, but its code (copied verbatim below, with its (n_features,
n_samples) layout) applies derivative_sigmoid to the activation instead of the
logit, and its np.mean over a (n, 1) array leaves dw a sum. This script trains
from the same seeded start with the notebook's code and with fastlogreg (its
NumPy oracle and its kernels) and prints the histories side by side.

    python scripts/notebook_vs_package.py
"""

import numpy as np

import fastlogreg
from fastlogreg import reference
from fastlogreg.demo import NOTEBOOK_SETTINGS, notebook_init, notebook_problem


# --- the notebook's code, verbatim but for the plotting -----------------------------
def loss(y, y_hat):
    return -((y * np.log(y_hat)) + ((1 - y) * np.log(1 - y_hat))).mean()


def accuracy(y, y_hat, threshold=0.5):
    return np.int32(np.int32(y_hat > threshold) == y).sum() / y.shape[1]


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def derivative_sigmoid(x):
    return sigmoid(x) * (1 - sigmoid(x))


def forward(X, w, b):
    z = (w.T @ X) + b
    a = sigmoid(z)
    return a


def backward(X, Y, a):
    da = -(Y / a) + ((1 - Y) / (1 - a))
    dz = da * derivative_sigmoid(a)
    # dz = a - y
    dw = np.mean(X @ dz.T, axis=1, keepdims=True)
    db = np.mean(dz, axis=1, keepdims=True)
    return dw, db


def notebook_train(X, Y, w, b, lr, epochs, every):
    loss_history, accuracy_history = [], []
    for epoch in range(epochs):
        a = forward(X, w, b)
        dw, db = backward(X, Y, a)
        w = w - (lr * dw)
        b = b - (lr * db)
        if epoch % every == 0:
            prediction = forward(X, w, b)
            loss_history.append(loss(Y, prediction))
            accuracy_history.append(accuracy(Y, prediction))
    return w, b, np.array(loss_history), np.array(accuracy_history)
# -------------------------------------------------------------------------------------


def main() -> None:
    X, y = notebook_problem()
    w0, b0 = notebook_init()
    s = NOTEBOOK_SETTINGS
    nb_w, _nb_b, nb_loss, nb_acc = notebook_train(
        X.T, y.reshape(1, -1), w0.reshape(-1, 1), np.array([[b0]]),
        s["learning_rate"], s["epochs"], s["record_every"])
    oracle = reference.train(X, y, w0=w0, b0=b0, **s)
    fast = fastlogreg.fit(X, y, coef_init=w0, intercept_init=b0, **s)

    print("The notebook's problem, learning_rate=0.001, 100 epochs, same seeded start.\n")
    print("| epoch | loss: notebook code | loss: oracle | loss: kernels "
          "| acc: notebook code | acc: oracle | acc: kernels |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for k, row in enumerate(fast.history):
        print(f"| {row['epoch']} | {nb_loss[k]:.6f} | {oracle.history[k, 1]:.6f} "
              f"| {row['loss']:.6f} | {nb_acc[k]:.3f} | {oracle.history[k, 2]:.3f} "
              f"| {row['accuracy']:.3f} |")
    dw_code, _ = backward(X.T, y.reshape(1, -1),
                          forward(X.T, w0.reshape(-1, 1), np.array([[b0]])))
    _, dw_true, _ = reference.loss_and_gradient(X, y, w0, b0)
    ratio = np.linalg.norm(dw_code.ravel()) / np.linalg.norm(dw_true)
    print(f"\nAt the start, |dw| of the notebook's code / |dw| of its derivation = "
          f"{ratio:.0f}:\nm = {len(y)} (a sum, not a mean) times sigmoid'(a) / sigmoid'(z)"
          " (about 0.94 near a = 0.5).")
    print(f"Final weights: notebook code {np.round(nb_w.ravel()[:3], 4)} ..., "
          f"fastlogreg {np.round(fast.coef[:3], 4)} ...")
    print(f"oracle vs kernels: largest loss difference "
          f"{np.max(np.abs(oracle.history[:, 1] - fast.history['loss'])):.1e}")


if __name__ == "__main__":
    main()
