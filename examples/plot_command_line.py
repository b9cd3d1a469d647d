"""
The command line
================

``fastlogreg train`` fits a model to a data file and saves it;
``fastlogreg predict`` applies a saved model to another file. Here both run
as subprocesses on a small CSV file, as they would in a shell.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import fastlogreg

folder = Path(tempfile.mkdtemp())

# %%
# A CSV table with a header: four numeric features and a text label.
rng = np.random.default_rng(0)
X = rng.standard_normal((300, 4))
species = np.array(["setosa", "versicolor", "virginica"])[
    np.argmax(X[:, :3] + 0.3 * rng.standard_normal((300, 3)), axis=1)]
table = pd.DataFrame(X, columns=["sepal_l", "sepal_w", "petal_l", "petal_w"])
table["species"] = species
table.to_csv(folder / "train.csv", index=False)
table.drop(columns="species").head(5).to_csv(folder / "new.csv", index=False)


def fastlogreg_cli(*args):
    """Run ``fastlogreg ARGS`` (as ``python -m fastlogreg``) and print what it prints."""
    result = subprocess.run([sys.executable, "-m", "fastlogreg", *args], cwd=folder,
                            capture_output=True, text=True, check=True)
    print(f"$ fastlogreg {' '.join(args)}")
    print(result.stdout + result.stderr)
    return result.stdout


# %%
# Train and save the model.
fastlogreg_cli("train", "train.csv", "--target", "species", "--out", "model.npz",
               "--C", "10")

# %%
# Predict labels, then probabilities.
fastlogreg_cli("predict", "model.npz", "new.csv")
proba = fastlogreg_cli("predict", "model.npz", "new.csv", "--proba")

# %%
# The model file loads back in Python, without pickle.
model = fastlogreg.load_model(folder / "model.npz")
print(model.classes_, model.feature_names_in_)

# %%
# The predicted probabilities of the five new rows.
rows = [line.split(",") for line in proba.strip().splitlines()]
P = np.array(rows[1:], dtype=float)
fig, ax = plt.subplots(figsize=(6, 3), layout="tight")
left = np.zeros(len(P))
for k, name in enumerate(rows[0]):
    ax.barh(np.arange(len(P)), P[:, k], left=left, label=name)
    left += P[:, k]
ax.set_yticks(np.arange(len(P)), [f"row {i}" for i in range(len(P))])
ax.set_xlabel("probability")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=3)
plt.show()
