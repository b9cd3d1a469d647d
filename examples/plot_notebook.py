"""
The notebook's run
==================

The notebook "Logistic Regression From Scratch" trains binary logistic
regression by fixed-step gradient descent on a small problem and plots the
accuracy and the loss every 10 epochs. Here the same loop runs twice: once by
the plain NumPy oracle (:func:`fastlogreg.reference.train`) and once by the
fused kernels (:func:`fastlogreg.fit`), and :func:`fastlogreg.plot_history`
draws both histories into the notebook's two panels.
"""

import matplotlib.pyplot as plt
import numpy as np

import fastlogreg
from fastlogreg import reference

# %%
# The notebook's problem: 1000 points, 10 features, labels from a noisy
# linear rule.
rng = np.random.default_rng(0)
X = rng.standard_normal((1000, 10))
y = (X @ rng.standard_normal(10) + 0.5 * rng.standard_normal(1000) > 0).astype(int)

# %%
# The functional API runs the epochs in compiled code and returns to Python
# every ``record_every`` epochs to record the loss and the accuracy.
model = fastlogreg.fit(X, y, learning_rate=0.5, epochs=200, record_every=10)
print(model.history[:3])
print("coef:", np.round(model.coef, 3), "intercept:", round(model.intercept, 3))

# %%
# The oracle runs the same mathematics in NumPy, from the same start.
trace = reference.train(X, y, learning_rate=0.5, epochs=200, record_every=10)
print("largest coefficient difference:", np.abs(trace.w - model.coef).max())

# %%
# Both histories in the notebook's two panels. ``plot_history`` returns a
# figure of its own, or draws into the pair of Axes it is given: here a
# pyplot figure, drawn twice to overlay the two runs, whose lines coincide.
fig, axes = plt.subplots(1, 2, figsize=(8, 4), layout="tight")
fastlogreg.plot_history(trace.history, ax=axes, label="NumPy oracle")
fastlogreg.plot_history(model.history, ax=axes, label="fused kernels")
plt.show()
