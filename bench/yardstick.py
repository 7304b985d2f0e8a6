#!/usr/bin/python3
"""The yardstick: vigil's model beside XGBoost and scikit-learn on vigil's own feature table.

It reads the feature table `vigil features` writes (either column layout), applies the Fraud
Detection Handbook's evaluation protocol -- written here in Python, independently of vigil's
Go code -- and trains XGBoost and logistic regression on exactly the periods vigil trains on.
It is a benchmark outside the binary, never a runtime dependency of vigil.

Modes (see bench/README.md):

  run       train and evaluate the reference models, print a table and, last, one JSON line
  check     recompute vigil's metrics from its --scores-out file and compare with its --json
  tune      pick XGBoost hyper-parameters on the handbook's validation weeks (before the test weeks)
  diagnose  XGBoost gain importance and feature ablations

The protocol, for a fold whose test period starts on day T (train 7, delay 7, test 7 by default):
training rows are those of days T-14 .. T-8; test day d (0 <= d < 7) is day T+d, from which the
transactions of customers already known to be compromised are removed: known from a fraud in the
training rows, or in day T-7+d-1 and the earlier days this rule has reached (the handbook's
delay-period rule). Days are UTC calendar days.
"""

import argparse
import json
import math
import os
import platform
import sys
import time
import warnings

import numpy as np
import pandas as pd
import sklearn
import xgboost
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.preprocessing import StandardScaler

# The handbook's fifteen inputs: vigil's name and the handbook's, in the handbook's order.
HANDBOOK15 = [
    ("amount", "TX_AMOUNT"),
    ("weekend", "TX_DURING_WEEKEND"),
    ("night", "TX_DURING_NIGHT"),
    ("customer_tx_count_1d", "CUSTOMER_ID_NB_TX_1DAY_WINDOW"),
    ("customer_mean_amount_1d", "CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW"),
    ("customer_tx_count_7d", "CUSTOMER_ID_NB_TX_7DAY_WINDOW"),
    ("customer_mean_amount_7d", "CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW"),
    ("customer_tx_count_30d", "CUSTOMER_ID_NB_TX_30DAY_WINDOW"),
    ("customer_mean_amount_30d", "CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW"),
    ("terminal_tx_count_1d", "TERMINAL_ID_NB_TX_1DAY_WINDOW"),
    ("terminal_risk_1d", "TERMINAL_ID_RISK_1DAY_WINDOW"),
    ("terminal_tx_count_7d", "TERMINAL_ID_NB_TX_7DAY_WINDOW"),
    ("terminal_risk_7d", "TERMINAL_ID_RISK_7DAY_WINDOW"),
    ("terminal_tx_count_30d", "TERMINAL_ID_NB_TX_30DAY_WINDOW"),
    ("terminal_risk_30d", "TERMINAL_ID_RISK_30DAY_WINDOW"),
]
HB15 = [v for v, _ in HANDBOOK15]

# The identifying columns of each layout, mapped to the yardstick's own names.
LAYOUTS = {
    "vigil": {"transaction_id": "id", "timestamp": "ts", "customer_id": "customer",
              "terminal_id": "terminal", "fraud": "fraud", "fraud_scenario": "scenario"},
    "handbook": {"TRANSACTION_ID": "id", "TX_DATETIME": "ts", "CUSTOMER_ID": "customer",
                 "TERMINAL_ID": "terminal", "TX_FRAUD": "fraud", "TX_FRAUD_SCENARIO": "scenario"},
}
HANDBOOK_SCENARIOS = {"0": "", "1": "high_amount", "2": "compromised_terminal", "3": "compromised_customer"}
TIME_FORMAT = {"vigil": "%Y-%m-%dT%H:%M:%SZ", "handbook": "%Y-%m-%d %H:%M:%S"}

# The Fraud Detection Handbook's published test figures (chapter 5, model selection: mean of
# the 4 test folds at the hyper-parameters chosen on the validation folds).
HANDBOOK_PUBLISHED = [
    ("handbook XGBoost (published)", 0.869, 0.687, 0.303),
    ("handbook random forest (published)", 0.870, 0.678, 0.299),
    ("handbook logistic regression (published)", 0.868, 0.623, 0.297),
]
GOALS = {"auc": 0.90, "ap": 0.75, "cp100": 0.32}

# The reference models. Each is a function of the training matrix; see fit().
XGB_COMMON = {"objective": "binary:logistic", "tree_method": "hist", "eval_metric": "logloss",
              "seed": 0, "verbosity": 0}
MODELS = {
    # The handbook's setting chosen on its validation folds (for AUC ROC): 100 trees,
    # learning rate 0.3, depth 3, XGBoost's defaults otherwise (256 histogram bins); the whole
    # training week. (The handbook's XGBoost 1.x chose the exact split search on data this size;
    # `diagnose` shows what that changes.)
    "xgb-handbook": {"kind": "xgb", "rounds": 100,
                     "params": {"max_depth": 3, "eta": 0.3}},
    # Chosen by `yardstick.py tune` on the four validation weeks before the test weeks (test
    # 2018-07-04 .. 2018-07-31, all inputs): the best mean average precision of its grid (also
    # the best AUC ROC). 4096 bins, so the tails of the amount are cut finely (docs/MODEL.md).
    "xgb-tuned": {"kind": "xgb", "rounds": 100,
                  "params": {"max_depth": 3, "eta": 0.1, "min_child_weight": 1, "max_bin": 4096}},
    # vigil's defaults, reproduced: depth 6, eta 0.1, lambda 1, min_child_weight 5, 4096 bins,
    # at most 300 rounds, early stopping after 30 rounds without a lower log-loss on the same
    # customer-disjoint 20% holdout of the training week that vigil draws (FNV-1a of seed and
    # customer id).
    "xgb-vigil": {"kind": "xgb", "rounds": 300, "holdout": 0.2, "early_stopping": 30,
                  "params": {"max_depth": 6, "eta": 0.1, "min_child_weight": 5, "max_bin": 4096}},
    # Standardised inputs, C = 1 (vigil's logistic baseline is the same model: lambda 1).
    # A missing input counts as its training mean, as in vigil.
    "logreg": {"kind": "logreg", "C": 1.0},
}


# ---------------------------------------------------------------------------------------------
# Reading the feature table


def read_table(path):
    """Reads a feature table written by `vigil features`, either layout.

    Returns (frame, layout, features): the frame has the columns id, day, second, customer,
    terminal, fraud, scenario and the features under vigil's names; features lists those names in file order.
    """
    with open(path, encoding="utf-8") as fh:
        header = fh.readline().rstrip("\r\n").split(",")
    layout = next((name for name, cols in LAYOUTS.items() if header[: 1] == list(cols)[:1]), None)
    if layout is None:
        sys.exit(f"{path}: not a vigil feature table (header starts {header[:3]})")
    ids = LAYOUTS[layout]
    missing = [c for c in ids if c not in header]
    if missing:
        sys.exit(f"{path}: {layout} layout without the columns {missing}")
    rename = dict(ids)
    if layout == "handbook":
        rename.update({h: v for v, h in HANDBOOK15})
    feature_cols = [c for c in header if c not in ids]
    dtypes = {c: "float64" for c in feature_cols}
    dtypes.update({"TRANSACTION_ID": str, "transaction_id": str, "CUSTOMER_ID": str,
                   "customer_id": str, "TERMINAL_ID": str, "terminal_id": str,
                   "fraud_scenario": str, "TX_FRAUD_SCENARIO": str})
    df = pd.read_csv(path, usecols=list(ids) + feature_cols, dtype=dtypes,
                     keep_default_na=False, na_values={c: ["NaN", ""] for c in feature_cols})
    df = df.rename(columns=rename)
    ts = pd.to_datetime(df["ts"], format=TIME_FORMAT[layout])
    df["day"] = ts.values.astype("datetime64[D]").astype(np.int64)
    df["second"] = ts.values.astype("datetime64[s]").astype(np.int64)
    df["fraud"] = df["fraud"].astype(np.int8)
    if layout == "handbook":  # the handbook's scenario numbers, named as vigil names them
        df["scenario"] = df["scenario"].map(HANDBOOK_SCENARIOS).fillna(df["scenario"])
    df = df.drop(columns=["ts"])
    features = [rename.get(c, c) for c in feature_cols]
    return df, layout, features


def day_number(date):
    return int(np.datetime64(date, "D").astype(np.int64))


def day_string(day):
    return str(np.datetime64(int(day), "D"))


# ---------------------------------------------------------------------------------------------
# The protocol


class Period:
    """One fold: train_days of training from train_start, delay_days unknown, test_days of test."""

    def __init__(self, test_start, train_days=7, delay_days=7, test_days=7):
        self.test_start = test_start
        self.train_days, self.delay_days, self.test_days = train_days, delay_days, test_days
        self.train_start = test_start - delay_days - train_days

    def shift(self, weeks):
        return Period(self.test_start + 7 * weeks, self.train_days, self.delay_days, self.test_days)

    def train_span(self):
        return f"{day_string(self.train_start)} .. {day_string(self.train_start + self.train_days - 1)}"

    def test_span(self):
        return f"{day_string(self.test_start)} .. {day_string(self.test_start + self.test_days - 1)}"


def split(df, p):
    """Returns the row positions of the training set and of the test set of period p.

    The test set excludes, day by day, the customers known to be compromised (see the module
    doc). Both are in increasing row order.
    """
    day = df["day"].to_numpy()
    fraud = df["fraud"].to_numpy().astype(bool)
    customer = df["customer"].to_numpy()
    in_train = (day >= p.train_start) & (day < p.train_start + p.train_days)
    train = np.flatnonzero(in_train)
    if len(train) == 0:
        raise ValueError(f"no transaction in the training period {p.train_span()}")
    first = int(day[train].min())
    known = set(customer[in_train & fraud])
    test = []
    for d in range(p.test_days):
        known.update(customer[(day == first + p.train_days + d - 1) & fraud])
        rows = np.flatnonzero(day == first + p.train_days + p.delay_days + d)
        keep = ~pd.Series(customer[rows]).isin(known).to_numpy()
        test.append(rows[keep])
    return train, np.sort(np.concatenate(test))


def card_precision_at_k(day, customer, score, label, k=100):
    """Card precision@k: the mean over test days of the share of fraud among the k customers
    with the highest score that day.

    Days in increasing order; a customer's score on a day is the maximum of its transactions'
    scores, its label the maximum of their labels; customers detected (a fraud among the top k)
    on an earlier day are left out; ties in score are ordered by customer identifier (byte
    order, increasing); precision divides by k even when fewer customers remain.
    Returns (mean, per-day precisions, days where a tie straddles the k-th place with labels
    that differ -- where the tie-break decides the figure).
    """
    frame = pd.DataFrame({"day": day, "customer": customer, "score": score, "label": label})
    detected = set()
    precisions, tie_days = [], 0
    for d, rows in frame.groupby("day", sort=True):
        rows = rows[~rows["customer"].isin(detected)]
        cards = rows.groupby("customer", sort=False).agg(score=("score", "max"), label=("label", "max"))
        cards = cards.reset_index().sort_values(["score", "customer"], ascending=[False, True],
                                                kind="mergesort")
        top = cards.head(k)
        if len(cards) > k:
            cut = cards["score"].iloc[k - 1]
            tied = cards[cards["score"] == cut]
            if cards["score"].iloc[k] == cut and tied["label"].nunique() > 1:
                tie_days += 1
        hits = top[top["label"] > 0]["customer"]
        detected.update(hits)
        precisions.append(len(hits) / k)
    return float(np.mean(precisions)), precisions, tie_days


def metrics(df, rows, scores):
    """The handbook's figures of scores (aligned with rows) on the test rows."""
    y = df["fraud"].to_numpy()[rows]
    frauds = int(y.sum())
    if frauds == 0 or frauds == len(y):
        raise ValueError(f"{frauds} frauds among {len(y)} test transactions: AUC is undefined")
    cp, _, ties = card_precision_at_k(df["day"].to_numpy()[rows], df["customer"].to_numpy()[rows],
                                      scores, y, 100)
    return {"auc_roc": float(roc_auc_score(y, scores)),
            "average_precision": float(average_precision_score(y, scores)),
            "card_precision_at_100": cp,
            "transactions": int(len(y)), "frauds": frauds, "cp_tie_days": ties}


def summary(per_fold):
    """Mean and sample standard deviation (ddof=1; 0 with one fold) of the folds' metrics."""
    mean, std = {}, {}
    for key in ("auc_roc", "average_precision", "card_precision_at_100"):
        values = np.array([f[key] for f in per_fold])
        mean[key] = float(values.mean())
        std[key] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return mean, std


# ---------------------------------------------------------------------------------------------
# Diagnosis helpers

TERMINAL_SCENARIOS = {"compromised_terminal"}
DAY = 86400


def unknowable(df, rows):
    """Frauds of a compromised terminal with no fraud yet known at that terminal (none in the
    terminal's 30-day risk window, which ends 7 days back): under a 7-day label delay nothing a
    feature can see tells them from genuine transactions."""
    scenario = df["scenario"].to_numpy()[rows]
    return (np.isin(scenario, list(TERMINAL_SCENARIOS)) & (df["terminal_risk_30d"].to_numpy()[rows] == 0)
            & (df["fraud"].to_numpy()[rows] == 1))


def ceiling(df, first, folds):
    """The figures of an oracle that ranks every knowable fraud first and cannot tell unknowable
    frauds from genuine transactions (they tie): an upper bound for any model whose features
    respect the 7-day label delay."""
    out = []
    for k in range(folds):
        _, test = split(df, first.shift(k))
        y = df["fraud"].to_numpy()[test]
        score = ((y == 1) & ~unknowable(df, test)).astype(np.float64)
        m = metrics(df, test, score)
        m["unknowable_frauds"] = int(unknowable(df, test).sum())
        out.append(m)
    return out


def by_scenario(df, rows, scores):
    """AUC ROC of each scenario's frauds against the genuine transactions."""
    y = df["fraud"].to_numpy()[rows]
    scenario = df["scenario"].fillna("").to_numpy()[rows].astype(object)
    scenario[unknowable(df, rows)] = "compromised_terminal, no known fraud yet"
    out = {}
    for name in sorted(set(scenario[y == 1])):
        keep = (y == 0) | (scenario == name)
        out[name] = {"frauds": int(((scenario == name) & (y == 1)).sum()),
                     "auc_roc": float(roc_auc_score(y[keep], scores[keep]))}
    return out


def candidate_features(df, label_delay=7 * DAY):
    """Prototypes of features vigil does not compute, point in time, from the table itself
    (a fraud is known at t when its time + label_delay <= t):

    terminal_last_known_fraud_days   days since the terminal's latest fraud at or before t-7d; NaN if none
    terminal_fraud_run_length        the number of known frauds in the run terminal_fraud_run_seconds
                                     measures; NaN when there is no run
    terminal_tx_count_1d_undelayed   the terminal's earlier transactions in (t-1d, t] (no label needed)
    terminal_tx_count_7d_undelayed   the same in (t-7d, t]
    terminal_new_customer_share_7d   share of the terminal's transactions in (t-7d, t) whose customer
                                     had not used it in the 30 days before; NaN when none
    terminal_amount_ratio_7d         the amount / the mean amount at the terminal in (t-7d, t); NaN if none
    customer_seconds_since_terminal  seconds since the customer's previous transaction at this
                                     terminal; NaN if none
    customer_amount_zscore_30d       (amount - mean) / std of the customer's earlier transactions in
                                     (t-30d, t); NaN with fewer than 2 or no spread
    """
    n = len(df)
    sec = df["second"].to_numpy()
    fraud = df["fraud"].to_numpy() == 1
    amount = df["amount"].to_numpy()
    customer = df["customer"].to_numpy()
    out = {k: np.full(n, np.nan) for k in (
        "terminal_last_known_fraud_days", "terminal_fraud_run_length", "terminal_tx_count_1d_undelayed",
        "terminal_tx_count_7d_undelayed", "terminal_new_customer_share_7d", "terminal_amount_ratio_7d",
        "customer_seconds_since_terminal", "customer_amount_zscore_30d")}
    for rows in df.groupby("terminal", sort=False).indices.values():
        rows = rows[np.argsort(sec[rows], kind="stable")]
        t, a, fr, c = sec[rows], amount[rows], fraud[rows], customer[rows]
        i = np.arange(len(rows))
        j1 = np.searchsorted(t, t - DAY, side="right")
        j7 = np.searchsorted(t, t - 7 * DAY, side="right")
        out["terminal_tx_count_1d_undelayed"][rows] = i - j1
        out["terminal_tx_count_7d_undelayed"][rows] = i - j7
        s1 = np.concatenate(([0.0], np.cumsum(a)))
        last_seen, is_new = {}, np.zeros(len(rows))
        since = np.full(len(rows), np.nan)
        for q in range(len(rows)):
            prev = last_seen.get(c[q])
            if prev is not None:
                since[q] = t[q] - prev
            is_new[q] = prev is None or t[q] - prev > 30 * DAY
            last_seen[c[q]] = t[q]
        out["customer_seconds_since_terminal"][rows] = since
        s_new = np.concatenate(([0.0], np.cumsum(is_new)))
        with np.errstate(invalid="ignore", divide="ignore"):
            k7 = i - j7
            out["terminal_amount_ratio_7d"][rows] = np.where(k7 > 0, a / ((s1[i] - s1[j7]) / k7), np.nan)
            out["terminal_new_customer_share_7d"][rows] = np.where(k7 > 0, (s_new[i] - s_new[j7]) / k7, np.nan)
        if not fr.any():
            continue
        frauds = t[fr]
        last = np.searchsorted(frauds, t - label_delay, side="right") - 1
        has = last >= 0
        out["terminal_last_known_fraud_days"][rows[has]] = (t[has] - frauds[last[has]]) / DAY
        # The run of known frauds ending with the newest transaction in (t-37d, t-7d].
        run_start = np.full(len(rows), -1)
        start = -1
        for q in range(len(rows)):
            start = (q if start < 0 else start) if fr[q] else -1
            run_start[q] = start
        newest = np.searchsorted(t, t - label_delay, side="right") - 1
        horizon = np.searchsorted(t, t - label_delay - 30 * DAY, side="right")
        ok = (newest >= horizon) & (newest >= 0)
        ok[ok] &= fr[newest[ok]]
        q = np.flatnonzero(ok)
        out["terminal_fraud_run_length"][rows[q]] = newest[q] - np.maximum(run_start[newest[q]], horizon[q]) + 1
    for rows in df.groupby("customer", sort=False).indices.values():
        rows = rows[np.argsort(sec[rows], kind="stable")]
        t, a = sec[rows], amount[rows]
        s1 = np.concatenate(([0.0], np.cumsum(a)))
        s2 = np.concatenate(([0.0], np.cumsum(a * a)))
        i = np.arange(len(rows))
        j = np.searchsorted(t, t - 30 * DAY, side="right")
        count = i - j
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = (s1[i] - s1[j]) / count
            var = (s2[i] - s2[j]) / count - mean * mean
            z = np.where((count >= 2) & (var > 1e-9), (a - mean) / np.sqrt(var), np.nan)
        out["customer_amount_zscore_30d"][rows] = z
    return out


# ---------------------------------------------------------------------------------------------
# The models


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def customer_holdout(customers, fraction, seed=1):
    """The customers vigil holds out for early stopping: FNV-1a 64 over the seed's 8 bytes
    (little-endian) then the identifier; held out when the low 32 bits are below
    fraction * (2^32 - 1)."""
    prefix = seed.to_bytes(8, "little")
    cut = int(fraction * 0xFFFFFFFF)
    held = {c for c in set(customers) if fnv1a64(prefix + c.encode()) & 0xFFFFFFFF < cut}
    return pd.Series(customers).isin(held).to_numpy()


def fit(spec, x, y, customers, threads):
    """Trains the model spec on x, y; returns (predict function, info)."""
    if spec["kind"] == "logreg":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an input missing on every row
            means = np.nanmean(x, axis=0)
        means = np.where(np.isnan(means), 0.0, means)

        def prepare(m):
            return np.where(np.isnan(m), means, m)

        scaler = StandardScaler().fit(prepare(x))
        clf = LogisticRegression(C=spec["C"], max_iter=2000, tol=1e-8)
        clf.fit(scaler.transform(prepare(x)), y)
        return (lambda m: clf.predict_proba(scaler.transform(prepare(m)))[:, 1]), {"iterations": int(clf.n_iter_[0])}
    params = dict(XGB_COMMON, nthread=threads, **spec["params"])
    if spec.get("holdout"):
        held = customer_holdout(customers, spec["holdout"])
        dfit = xgboost.DMatrix(x[~held], label=y[~held], missing=np.nan)
        dvalid = xgboost.DMatrix(x[held], label=y[held], missing=np.nan)
        booster = xgboost.train(params, dfit, spec["rounds"], evals=[(dvalid, "valid")],
                                early_stopping_rounds=spec["early_stopping"], verbose_eval=False)
        best = booster.best_iteration + 1
        return (lambda m: booster.predict(xgboost.DMatrix(m, missing=np.nan), iteration_range=(0, best)),
                {"trees": best, "booster": booster})
    booster = xgboost.train(params, xgboost.DMatrix(x, label=y, missing=np.nan), spec["rounds"])
    return (lambda m: booster.predict(xgboost.DMatrix(m, missing=np.nan)),
            {"trees": spec["rounds"], "booster": booster})


def evaluate(df, features, spec, first, folds, threads):
    """Trains spec on each fold's training set and evaluates it on its test set."""
    x_all = df[features].to_numpy(dtype=np.float64)
    y_all = df["fraud"].to_numpy()
    customers = df["customer"].to_numpy()
    out = []
    for k in range(folds):
        p = first.shift(k)
        train, test = split(df, p)
        began, began_cpu = time.perf_counter(), time.process_time()
        predict, info = fit(spec, x_all[train], y_all[train], customers[train], threads)
        trained, trained_cpu = time.perf_counter() - began, time.process_time() - began_cpu
        scores = predict(x_all[test])
        fold = {"fold": k + 1, "train_period": p.train_span(), "test_period": p.test_span(),
                "train_rows": int(len(train)), "train_seconds": round(trained, 3),
                "train_cpu_seconds": round(trained_cpu, 3)}
        fold.update(metrics(df, test, scores))
        if "trees" in info:
            fold["trees"] = info["trees"]
        fold["_info"] = info
        out.append(fold)
    return out


# ---------------------------------------------------------------------------------------------
# Output


def fmt_row(name, folds, mean, std, seconds):
    return (f"{name:<44} {folds:>5}  {mean['auc_roc']:.3f}±{std['auc_roc']:.3f}  "
            f"{mean['average_precision']:.3f}±{std['average_precision']:.3f}  "
            f"{mean['card_precision_at_100']:.3f}±{std['card_precision_at_100']:.3f}  {seconds}")


def header():
    return f"{'model (features)':<44} {'folds':>5}  {'AUC ROC':<11}  {'AP':<11}  {'CP@100':<11}  training time, all folds"


def environment(threads):
    return {"python": platform.python_version(), "xgboost": xgboost.__version__,
            "sklearn": sklearn.__version__, "pandas": pd.__version__, "numpy": np.__version__,
            "cpus": os.cpu_count(), "threads": threads, "machine": platform.machine(),
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def clean(fold):
    return {k: v for k, v in fold.items() if not k.startswith("_")}


def read_vigil_json(path):
    """The last line of `vigil evaluate --json` output."""
    with open(path, encoding="utf-8") as fh:
        lines = [ln for ln in fh.read().splitlines() if ln.strip()]
    return json.loads(lines[-1])


# ---------------------------------------------------------------------------------------------
# Modes


def cmd_run(a):
    df, layout, available = read_table(a.table)
    sets = {"hb15": HB15, "all": available}
    for name in a.features:
        if name not in sets:
            sys.exit(f"unknown feature set {name} (want hb15 or all)")
        missing = [f for f in sets[name] if f not in available]
        if missing:
            sys.exit(f"{a.table}: feature set {name} needs {missing} ({layout} layout)")
    first = Period(day_number(a.test_start))
    results, lines = [], []
    for folds in a.folds:
        lines.append("")
        lines.append(header())
        for label, path in a.vigil:
            v = read_vigil_json(path)
            if len(v["folds"]) != folds:
                continue
            mean, std = summary(v["folds"])
            lines.append(fmt_row(f"vigil {label}", folds, mean, std,
                                 f"{v['elapsed_seconds']:.1f} wall, end to end"))
            results.append({"model": f"vigil {label}", "features": "all", "folds": folds,
                            "per_fold": v["folds"], "mean": mean, "std": std,
                            "elapsed_seconds": v["elapsed_seconds"], "source": path})
        for model in a.models:
            spec = MODELS[model]
            for fs in a.features:
                per_fold = evaluate(df, sets[fs], spec, first, folds, a.threads)
                mean, std = summary(per_fold)
                seconds = sum(f["train_seconds"] for f in per_fold)
                cpu = sum(f["train_cpu_seconds"] for f in per_fold)
                lines.append(fmt_row(f"{model} ({fs}, {len(sets[fs])})", folds, mean, std,
                                     f"{seconds:.1f} wall, {cpu:.1f} cpu"))
                results.append({"model": model, "features": fs, "inputs": len(sets[fs]), "folds": folds,
                                "per_fold": [clean(f) for f in per_fold], "mean": mean, "std": std,
                                "train_seconds": round(seconds, 3), "train_cpu_seconds": round(cpu, 3),
                                "settings": printable(spec)})
        if folds == 4:
            for name, auc, ap, cp in HANDBOOK_PUBLISHED:
                lines.append(f"{name:<44} {4:>5}  {auc:.3f}        {ap:.3f}        {cp:.3f}")
    lines.append("")
    lines.append(f"goals: AUC ROC >= {GOALS['auc']}, AP >= {GOALS['ap']}, CP@100 >= {GOALS['cp100']}")
    print("\n".join(lines))
    out = {"mode": "run", "table": a.table, "layout": layout, "test_start": a.test_start,
           "results": results, "environment": environment(a.threads)}
    if a.json_out:
        with open(a.json_out, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=1)
    print(json.dumps(out, separators=(",", ":")))


def printable(spec):
    return {k: v for k, v in spec.items() if k != "kind"} | {"kind": spec["kind"]}


def cmd_check(a):
    """Recomputes vigil's metrics from its scores and compares them with its --json output."""
    df, layout, _ = read_table(a.table)
    v = read_vigil_json(a.vigil_json)
    scores = pd.read_csv(a.scores, dtype={"fold": np.int64, "transaction_id": str, "score": np.float64})
    index = pd.Series(np.arange(len(df)), index=df["id"].to_numpy())
    if not index.index.is_unique:
        sys.exit(f"{a.table}: transaction ids are not unique")
    worst, report, failures = 0.0, [], []
    per_fold = []
    for fv in v["folds"]:
        k = fv["fold"]
        test_start = day_number(fv["test_period"].split(" .. ")[0])
        train_days = (day_number(fv["train_period"].split(" .. ")[1]) -
                      day_number(fv["train_period"].split(" .. ")[0]) + 1)
        test_days = (day_number(fv["test_period"].split(" .. ")[1]) - test_start + 1)
        delay = test_start - day_number(fv["train_period"].split(" .. ")[1]) - 1
        p = Period(test_start, train_days, delay, test_days)
        _, test = split(df, p)
        s = scores[scores["fold"] == k]
        # Every transaction of the test days must have exactly one score.
        days = df["day"].to_numpy()
        all_rows = np.flatnonzero((days >= p.test_start) & (days < p.test_start + p.test_days))
        pos = index.reindex(s["transaction_id"].to_numpy())
        if pos.isna().any():
            failures.append(f"fold {k}: {int(pos.isna().sum())} scored transactions are not in the table")
            continue
        if len(s) != len(all_rows) or not np.array_equal(np.sort(pos.to_numpy().astype(np.int64)), all_rows):
            failures.append(f"fold {k}: scores cover {len(s)} transactions, the test days have {len(all_rows)}")
        by_row = pd.Series(s["score"].to_numpy(), index=pos.to_numpy().astype(np.int64))
        m = metrics(df, test, by_row.reindex(test).to_numpy())
        per_fold.append(m)
        line = [f"fold {k} ({fv['test_period']}):"]
        for key in ("transactions", "frauds"):
            if m[key] != fv[key]:
                failures.append(f"fold {k}: {key} {m[key]} here, {fv[key]} in vigil's output")
            line.append(f"{key} {m[key]}/{fv[key]}")
        for key in ("auc_roc", "average_precision", "card_precision_at_100"):
            diff = abs(m[key] - fv[key])
            worst = max(worst, diff)
            if not diff <= a.tolerance:
                failures.append(f"fold {k}: {key} {m[key]!r} here, {fv[key]!r} in vigil's output")
            line.append(f"{key} {m[key]:.12f} (|diff| {diff:.1e})")
        line.append(f"CP ties at the cut: {m['cp_tie_days']} day(s)")
        report.append("  ".join(line))
    if per_fold:
        mean, std = summary(per_fold)
        for key in mean:
            for name, mine, theirs in (("mean", mean, v["mean"]), ("std", std, v["std"])):
                diff = abs(mine[key] - theirs[key])
                worst = max(worst, diff)
                if not diff <= a.tolerance:
                    failures.append(f"{name} {key}: {mine[key]!r} here, {theirs[key]!r} in vigil's output")
    print("\n".join(report))
    ok = not failures
    print(f"{'AGREE' if ok else 'DISAGREE'}: {len(v['folds'])} fold(s), largest difference {worst:.1e}, "
          f"tolerance {a.tolerance:.0e}")
    for f in failures:
        print("  " + f)
    print(json.dumps({"mode": "check", "table": a.table, "layout": layout, "scores": a.scores,
                      "vigil_json": a.vigil_json, "agree": ok, "max_abs_diff": worst,
                      "tolerance": a.tolerance, "folds": [clean(m) for m in per_fold],
                      "failures": failures}, separators=(",", ":")))
    return 0 if ok else 1


def cmd_tune(a):
    """A small grid over XGBoost settings on the validation weeks, as the handbook selects."""
    df, layout, available = read_table(a.table)
    features = HB15 if a.feature_set == "hb15" else available
    first = Period(day_number(a.test_start))
    grid = []
    for depth in (3, 4, 6):
        for eta, rounds in ((0.3, 100), (0.1, 100), (0.1, 300), (0.05, 300)):
            for mcw in (1, 5):
                grid.append({"max_depth": depth, "eta": eta, "min_child_weight": mcw, "rounds": rounds,
                             "max_bin": a.max_bin})
    rows = []
    print(f"validation folds from {a.test_start}, {a.folds} folds, {a.feature_set} ({len(features)} inputs)")
    print(f"{'depth':>5} {'eta':>5} {'trees':>5} {'mcw':>4}  {'AUC ROC':<11}  {'AP':<11}  {'CP@100':<11}")
    for g in grid:
        spec = {"kind": "xgb", "rounds": g["rounds"],
                "params": {k: g[k] for k in ("max_depth", "eta", "min_child_weight", "max_bin")}}
        per_fold = evaluate(df, features, spec, first, a.folds, a.threads)
        mean, std = summary(per_fold)
        rows.append({"settings": g, "mean": mean, "std": std})
        print(f"{g['max_depth']:>5} {g['eta']:>5} {g['rounds']:>5} {g['min_child_weight']:>4}  "
              f"{mean['auc_roc']:.3f}±{std['auc_roc']:.3f}  {mean['average_precision']:.3f}±{std['average_precision']:.3f}  "
              f"{mean['card_precision_at_100']:.3f}±{std['card_precision_at_100']:.3f}", flush=True)
    best = max(rows, key=lambda r: r["mean"]["average_precision"])
    print(f"best by mean average precision: {best['settings']}")
    print(json.dumps({"mode": "tune", "table": a.table, "test_start": a.test_start, "folds": a.folds,
                      "features": a.feature_set, "grid": rows, "best": best,
                      "environment": environment(a.threads)}, separators=(",", ":")))


def cmd_diagnose(a):
    """Where the model stands against what the data allow, which inputs matter, and what the
    binning and a few prototype features change."""
    df, layout, available = read_table(a.table)
    first = Period(day_number(a.test_start))
    spec = MODELS[a.model]
    out = {"mode": "diagnose", "table": a.table, "model": a.model, "folds": a.folds}

    def show(name, n, mean, std):
        print(f"{name:<52} {n:>3}  {mean['auc_roc']:.3f}±{std['auc_roc']:.3f}  "
              f"{mean['average_precision']:.3f}±{std['average_precision']:.3f}  "
              f"{mean['card_precision_at_100']:.3f}±{std['card_precision_at_100']:.3f}", flush=True)

    title = f"{'':<52} {'n':>3}  {'AUC ROC':<11}  {'AP':<11}  {'CP@100':<11}"
    # 1. The ceiling the 7-day label delay leaves.
    if "terminal_risk_30d" in available:
        ceil = ceiling(df, first, a.folds)
        mean, std = summary(ceil)
        print(title)
        show("ceiling (oracle blind to unknowable frauds)", 0, mean, std)
        for f in ceil:
            print(f"  fold: {f['unknowable_frauds']} of {f['frauds']} test frauds unknowable "
                  f"({f['unknowable_frauds'] / f['frauds']:.0%})")
        out["ceiling"] = {"per_fold": ceil, "mean": mean, "std": std}
    # 2. Gain importance, summed over the folds' models, and recall by scenario.
    per_fold = evaluate(df, available, spec, first, a.folds, a.threads)
    gain = dict.fromkeys(available, 0.0)
    scen = {}
    x_all = df[available].to_numpy(dtype=np.float64)
    for k, f in enumerate(per_fold):
        booster = f["_info"]["booster"]
        for key, value in booster.get_score(importance_type="total_gain").items():
            name = available[int(key[1:])] if key.startswith("f") and key[1:].isdigit() else key
            gain[name] += value
        _, test = split(df, first.shift(k))
        scores = booster.predict(xgboost.DMatrix(x_all[test], missing=np.nan),
                                 iteration_range=(0, f["_info"]["trees"]))
        for name, v in by_scenario(df, test, scores).items():
            scen.setdefault(name, []).append(v)
    total = sum(gain.values()) or 1.0
    ranked = sorted(gain.items(), key=lambda kv: -kv[1])
    print(f"\n{a.model}, all {len(available)} inputs, {a.folds} fold(s): share of total gain")
    for name, value in ranked:
        if value > 0:
            print(f"  {name:<34} {value / total:6.3f}")
    out["gain_share"] = {k: v / total for k, v in ranked}
    print("\nAUC ROC of each scenario's frauds against genuine transactions (mean over folds)")
    for name, vs in scen.items():
        print(f"  {name:<42} frauds {sum(v['frauds'] for v in vs):>5}  AUC {np.mean([v['auc_roc'] for v in vs]):.3f}")
    out["by_scenario"] = scen
    # 3. Binning: the same model with XGBoost's exact split search and with finer histograms.
    print("\n" + title)
    out["binning"] = []
    for name, params in (("max_bin 255 (vigil's limit)", {"max_bin": 255}),
                         ("max_bin 4096", {"max_bin": 4096}),
                         ("exact split search", {"tree_method": "exact"})):
        variant = dict(spec, params=dict(spec["params"], **params))
        mean, std = summary(evaluate(df, available, variant, first, a.folds, a.threads))
        show(f"{a.model}, {name}", len(available), mean, std)
        out["binning"].append({"variant": name, "mean": mean, "std": std})
    # 4. Ablations, and the prototype features.
    sets = {"all": available}
    if available != HB15:
        sets["hb15"] = HB15
    extras = [f for f in available if f not in HB15]
    for f in extras:
        sets[f"hb15 + {f}"] = HB15 + [f]
    for f in available:
        sets[f"all - {f}"] = [g for g in available if g != f]
    sets["all - the handbook's customer windows"] = [g for g in available
                                                     if not (g in HB15 and g.startswith("customer_"))]
    sets["all - every terminal input"] = [g for g in available if not g.startswith("terminal_")]
    if a.candidates:
        cands = candidate_features(df)
        for name, values in cands.items():
            df[name] = values
            sets[f"all + {name}"] = available + [name]
        sets["all + every prototype"] = available + list(cands)
    print("\n" + title.replace(" " * 52, f"{'inputs':<52}", 1))
    out["ablations"] = []
    for name, features in sets.items():
        pf = per_fold if name == "all" else evaluate(df, features, spec, first, a.folds, a.threads)
        mean, std = summary(pf)
        show(name, len(features), mean, std)
        out["ablations"].append({"inputs": name, "n": len(features), "mean": mean, "std": std})
    out["environment"] = environment(a.threads)
    print(json.dumps(out, separators=(",", ":")))


def main(argv=None):
    ap = argparse.ArgumentParser(prog="yardstick.py", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)

    def common(p, folds_default):
        p.add_argument("--table", required=True, help="feature table from `vigil features` (either layout)")
        p.add_argument("--test-start", default="2018-08-08", help="first test day of the first fold")
        p.add_argument("--threads", type=int, default=1,
                       help="XGBoost threads (default 1: steadier timings on a shared machine)")
        if folds_default is not None:
            p.add_argument("--folds", type=int, default=folds_default, help="consecutive weekly folds")

    r = sub.add_parser("run", help="train and evaluate the reference models")
    common(r, None)
    r.add_argument("--folds", type=int, nargs="+", default=[1, 4], help="fold counts to run (default 1 4)")
    r.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    r.add_argument("--features", nargs="+", default=["hb15", "all"], help="hb15 and/or all")
    r.add_argument("--vigil", nargs=2, action="append", default=[], metavar=("LABEL", "JSON"),
                   help="a `vigil evaluate --json` output to show beside (repeatable)")
    r.add_argument("--json-out", help="also write the JSON result, indented, to this file")

    c = sub.add_parser("check", help="recompute vigil's metrics from its scores")
    c.add_argument("--table", required=True, help="the feature table of the same history")
    c.add_argument("--scores", required=True, help="vigil evaluate --scores-out file")
    c.add_argument("--vigil-json", required=True, help="vigil evaluate --json output (its last line is read)")
    c.add_argument("--tolerance", type=float, default=1e-9)

    t = sub.add_parser("tune", help="XGBoost grid on the validation weeks")
    common(t, 4)
    t.set_defaults(test_start="2018-07-04")
    t.add_argument("--feature-set", default="all", choices=["hb15", "all"])
    t.add_argument("--max-bin", type=int, default=4096, help="XGBoost hist bins per feature (default 4096)")

    d = sub.add_parser("diagnose", help="gain importance and feature ablations")
    common(d, 1)
    d.add_argument("--model", default="xgb-tuned", choices=[m for m in MODELS if MODELS[m]["kind"] == "xgb"])
    d.add_argument("--candidates", action="store_true",
                   help="also try prototype features computed here (see candidate_features)")

    a = ap.parse_args(argv)
    began = time.perf_counter()
    rc = {"run": cmd_run, "check": cmd_check, "tune": cmd_tune, "diagnose": cmd_diagnose}[a.mode](a)
    print(f"yardstick {a.mode}: {time.perf_counter() - began:.1f}s", file=sys.stderr)
    return rc or 0


if __name__ == "__main__":
    sys.exit(main())
