#!/usr/bin/python3
"""Writes metrics_sklearn.json: random labels and scores (rounded so that many
scores tie) with scikit-learn's roc_auc_score, average_precision_score and
log_loss, for internal/model's metrics tests.

Run from internal/model/testdata with Debian's python3-sklearn:
    /usr/bin/python3 make_metrics_fixture.py
"""
import json

import numpy as np
from sklearn.metrics import average_precision_score, log_loss, roc_auc_score

rng = np.random.default_rng(20240601)
cases = []
for n, rate, decimals in [(10, 0.3, 1), (50, 0.1, 2), (200, 0.05, 2), (1000, 0.01, 3), (1000, 0.2, 1)]:
    label = (rng.random(n) < rate).astype(int)
    label[0], label[1] = 1, 0  # both classes present
    score = np.clip(np.round(rng.random(n) * 0.6 + label * 0.3, decimals), 0, 1)
    cases.append({
        "label": label.tolist(),
        "score": score.tolist(),
        "roc_auc": roc_auc_score(label, score),
        "average_precision": average_precision_score(label, score),
        "log_loss": log_loss(label, score, eps=1e-15),
    })
with open("metrics_sklearn.json", "w") as f:
    json.dump(cases, f)
    f.write("\n")
