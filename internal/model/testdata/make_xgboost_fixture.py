#!/usr/bin/python3
"""Writes the XGBoost import fixture for internal/model's tests:

  xgboost_model.json        a binary:logistic model saved by XGBoost 1.7
  xgboost_predictions.csv   inputs, XGBoost's margin and probability, and the
                            leaf reached in every tree (node ids)

Inputs include missing values, split conditions themselves, their float32
neighbours, and float64 values between and at the midpoints of float32
neighbours: XGBoost compares float32(x) < condition, and the import must
reproduce that exactly on float64 inputs.

Run from internal/model/testdata with Debian's python3-xgboost (1.7):
    /usr/bin/python3 make_xgboost_fixture.py
"""
import csv
import json

import numpy as np
import xgboost as xgb

assert xgb.__version__.startswith("1.7"), xgb.__version__

rng = np.random.default_rng(7)
n, nf = 3000, 4
X = rng.normal(size=(n, nf))
X[:, 3] = np.round(X[:, 3] * 3)  # few distinct values
X[rng.random(n) < 0.08, 1] = np.nan
margin = -2.5 + 1.5 * X[:, 0] + np.where(np.isnan(X[:, 1]), 1.0, X[:, 1] * X[:, 2]) + 0.4 * X[:, 3]
y = (rng.random(n) < 1 / (1 + np.exp(-margin))).astype(int)

params = {
    "objective": "binary:logistic",
    "max_depth": 4,
    "eta": 0.3,
    "tree_method": "hist",
    "base_score": 0.3,
    "seed": 1,
}
booster = xgb.train(params, xgb.DMatrix(X, label=y, missing=np.nan), num_boost_round=25)
booster.save_model("xgboost_model.json")

# Test inputs: random rows, then rows probing every split condition.
rows = [list(r) for r in np.round(rng.normal(size=(150, nf)), 4)]
for r in rows[::7]:
    r[1] = np.nan
conds = {}


model = json.load(open("xgboost_model.json"))
for t in model["learner"]["gradient_booster"]["model"]["trees"]:
    for i, left in enumerate(t["left_children"]):
        if left != -1:
            conds.setdefault(t["split_indices"][i], set()).add(np.float32(t["split_conditions"][i]))
for f, cs in sorted(conds.items()):
    for c in sorted(cs):
        below = np.nextafter(c, np.float32(-np.inf))
        above = np.nextafter(c, np.float32(np.inf))
        mid_below = (np.float64(below) + np.float64(c)) / 2  # exact float64
        mid_above = (np.float64(c) + np.float64(above)) / 2
        probes = [np.float64(c), np.float64(below), np.float64(above), mid_below, mid_above,
                  np.nextafter(mid_below, -np.inf), np.nextafter(mid_below, np.inf),
                  np.nextafter(mid_above, -np.inf), np.nextafter(mid_above, np.inf)]
        for v in probes:
            r = list(np.round(rng.normal(size=nf), 2))
            r[f] = v
            rows.append(r)
Xt = np.array(rows, dtype=np.float64)
dm = xgb.DMatrix(Xt, missing=np.nan)
margins = booster.predict(dm, output_margin=True)
probs = booster.predict(dm)
leaves = booster.predict(dm, pred_leaf=True).astype(int)

with open("xgboost_predictions.csv", "w", newline="") as out:
    w = csv.writer(out)
    w.writerow([f"x{j}" for j in range(nf)] + ["margin", "probability"] +
               [f"leaf{k}" for k in range(leaves.shape[1])])
    for x, m, p, lv in zip(Xt, margins, probs, leaves):
        w.writerow([repr(float(v)) for v in x] + [repr(float(m)), repr(float(p))] + [int(v) for v in lv])
