#!/usr/bin/env python3
"""ML assist on scikit-learn's digits: labelmill's core against scikit-learn.

    .venv/bin/python Benchmarks/assist_bench.py [--budgets 100,300,600] [--target 0.97] [--seed 1]

Renders the 1,797 digits as PNGs (scripts/make-digits.py), computes three
embeddings of each: `builtin` (labelmill's features, in Swift), `pixels` (the
same 32 x 32 grey thumbnail, raw) and `predictor` (EfficientNet-Lite0's 1280
pooled features, predictors/efficientnet_lite0.py). For each embedding and
each label budget, the same shuffled images: the first BUDGET are the labels
people made, the rest get prelabels.

- labelmill: `assist-eval evaluate` (softmax regression, threshold from
  5-fold held-out predictions with a Wilson lower bound >= target);
- scikit-learn: LogisticRegression (C=1, lbfgs) on standardized features,
  threshold the lowest confidence whose 5-fold held-out precision
  (cross_val_predict) is >= target: the usual honest baseline.

Coverage is the share of the rest prelabeled, precision the share of those
prelabels that are right. Then the purity of clustered pages (as the daemon
pages a pool) against random pages, for page sizes 4 and 9.
"""
import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def tool():
    out = subprocess.run(["swift", "build", "-c", "release", "--product", "assist-eval", "--show-bin-path"],
                         cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run(["swift", "build", "-c", "release", "--product", "assist-eval"], cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL)
    return out + "/assist-eval"


def predictor_features(images, truth_rows, out):
    sys.path.insert(0, str(REPO / "predictors"))
    from efficientnet_lite0 import Embedder
    embedder = Embedder(threads=2)
    with open(out, "w") as f:
        for row in truth_rows:
            features, _ = embedder.embed(images / row["file"])
            f.write(row["label"] + "," + ",".join(f"{v:.6g}" for v in features) + "\n")


def load(path):
    labels, rows = [], []
    for line in Path(path).read_text().splitlines():
        fields = line.split(",")
        labels.append(fields[0])
        rows.append([float(v) for v in fields[1:]])
    return np.array(labels), np.array(rows)


def sklearn_baseline(labels, x, budgets, target, seed):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    order = np.arange(len(labels))  # already shuffled
    results = []
    for budget in budgets:
        train, rest = order[:budget], order[budget:]
        model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=3000))
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
        probs = cross_val_predict(model, x[train], labels[train], cv=folds, method="predict_proba")
        classes = np.unique(labels[train])
        confidence, predicted = probs.max(axis=1), classes[probs.argmax(axis=1)]
        right = predicted == labels[train]
        threshold = None
        ranked = np.argsort(-confidence, kind="stable")
        correct = 0
        for m, i in enumerate(ranked, start=1):
            correct += right[i]
            if m < len(ranked) and confidence[ranked[m]] == confidence[i]:
                continue
            if correct / m >= target:
                threshold = confidence[i]
        model.fit(x[train], labels[train])
        shown = right_count = 0
        if threshold is not None:
            p = model.predict_proba(x[rest])
            conf, pred = p.max(axis=1), model.classes_[p.argmax(axis=1)]
            mask = conf >= threshold
            shown, right_count = int(mask.sum()), int((pred[mask] == labels[rest][mask]).sum())
        results.append({"budget": budget, "coverage": shown / len(rest),
                        "precision": right_count / shown if shown else None, "threshold": threshold})
    return results


def fmt(value, percent=True):
    if value is None:
        return "-"
    return f"{value * 100:.1f}%" if percent else f"{value:.3f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--budgets", default="100,300,600")
    ap.add_argument("--target", type=float, default=0.97)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--embedders", default="builtin,pixels,predictor")
    args = ap.parse_args()
    budgets = [int(b) for b in args.budgets.split(",")]
    binary = tool()
    work = Path(tempfile.mkdtemp(prefix="labelmill-assist-"))
    images, truth = work / "digits", work / "digits-truth.csv"
    subprocess.run([sys.executable, str(REPO / "scripts" / "make-digits.py"), "--out", str(images), "--truth", str(truth)], check=True)
    truth_rows = list(csv.DictReader(open(truth)))
    print(f"{len(truth_rows)} digits in {images}; target precision {args.target}; budgets {budgets}; seed {args.seed}\n", flush=True)
    rows = []
    for embedder in args.embedders.split(","):
        features = work / f"{embedder}.csv"
        if embedder == "predictor":
            predictor_features(images, truth_rows, features)
        else:
            with open(features, "w") as f:
                subprocess.run([binary, "features", "--truth", str(truth), "--images", str(images), "--embedder", embedder], stdout=f, check=True)
        # The same shuffled order for both: the lines are shuffled here, and both keep that order.
        lines = features.read_text().splitlines()
        order = np.random.default_rng(args.seed).permutation(len(lines))
        features.write_text("".join(lines[i] + "\n" for i in order))
        out = subprocess.run([binary, "evaluate", "--features", str(features), "--budgets", args.budgets,
                              "--target", str(args.target), "--seed", "0"], capture_output=True, text=True, check=True)
        answers = [json.loads(line) for line in out.stdout.splitlines()]
        ours = [a for a in answers if "budget" in a]
        purity = [a for a in answers if "page_size" in a]
        labels, x = load(features)
        theirs = sklearn_baseline(labels, x, budgets, args.target, args.seed)
        for a, b in zip(ours, theirs):
            rows.append((embedder, a["budget"], fmt(a["coverage"]), fmt(a["precision"]), fmt(b["coverage"]), fmt(b["precision"]),
                         f"{a['seconds']:.1f} s"))
        for p in purity:
            rows.append((embedder, f"pages of {p['page_size']}", f"purity {fmt(p['clustered'])}", f"random {fmt(p['random'])}",
                         f"x{p['clustered'] / p['random']:.1f}", "", ""))
    print("| embedder | budget | labelmill coverage | labelmill precision | scikit-learn coverage | scikit-learn precision | labelmill training |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print("| " + " | ".join(str(c) for c in r) + " |")
    subprocess.run(["rm", "-rf", str(work)])


if __name__ == "__main__":
    main()
