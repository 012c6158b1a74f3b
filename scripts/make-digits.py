#!/usr/bin/env python3
"""Renders scikit-learn's handwritten digits (1,797 labeled 8x8 images that the
package ships) as PNGs, with the truth in a CSV, for the ML assist tests:
labelers simulated by scripts label pages from the truth through the files.

    .venv/bin/python scripts/make-digits.py --out Inbox/digits [--truth digits-truth.csv]
        [--count 300] [--classes 0,1,7] [--scale 4] [--shuffle SEED]

Images are dark strokes on white (the dataset's 0-16 ink scaled to 255-0),
each of the 8x8 pixels a scale x scale square, 8-bit grey PNGs named
digit-NNNN.png by the row of the dataset, so the name says nothing of the
label. The truth (`file,label,index,sha256`) goes beside the image folder by
default (`OUT-truth.csv`), never inside it: the daemon would take it as an
inbox file. The output is deterministic: rerunning writes the same bytes.
"""
import argparse
import csv
import hashlib
import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image


def render(pixels, scale):
    """One digit (8x8, ink 0-16) as PNG bytes: ink dark on white, each pixel a scale x scale square."""
    grey = np.rint(255 - np.asarray(pixels, dtype=np.float64) * 255 / 16).clip(0, 255).astype(np.uint8)
    grey = np.kron(grey, np.ones((scale, scale), dtype=np.uint8))
    out = io.BytesIO()
    Image.fromarray(grey, "L").save(out, format="PNG", optimize=False)
    return out.getvalue()


def choose(targets, count, classes, shuffle):
    rows = np.arange(len(targets))
    if classes is not None:
        rows = rows[np.isin(targets, classes)]
    if shuffle is not None:
        rows = np.random.default_rng(shuffle).permutation(rows)
    return rows if count is None else rows[:count]


def parse_classes(text):
    try:
        classes = sorted({int(c) for c in text.split(",") if c.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"--classes takes digits separated by commas, like 0,1,7; not {text!r}")
    if not classes or min(classes) < 0 or max(classes) > 9:
        raise argparse.ArgumentTypeError(f"--classes takes digits 0-9, like 0,1,7; not {text!r}")
    return classes


def main(argv=None):
    parser = argparse.ArgumentParser(description="Render scikit-learn's digits as PNGs with a truth CSV.")
    parser.add_argument("--out", required=True, type=Path, help="the folder for the PNGs (made if missing)")
    parser.add_argument("--truth", type=Path, help="the truth CSV (default: OUT-truth.csv beside the folder)")
    parser.add_argument("--count", type=int, help="how many images (default: all 1,797, or all of --classes)")
    parser.add_argument("--classes", type=parse_classes, help="only these digits, e.g. 0,1,7")
    parser.add_argument("--scale", type=int, default=4, help="pixels per dataset pixel (default 4: 32x32 images)")
    parser.add_argument("--shuffle", type=int, metavar="SEED", help="take the images in a random order from this seed")
    args = parser.parse_args(argv)
    if args.count is not None and args.count < 1:
        parser.error("--count must be at least 1")
    if not 1 <= args.scale <= 64:
        parser.error("--scale must be 1-64")
    out = args.out
    truth = args.truth or out.parent / f"{out.name}-truth.csv"
    if truth.resolve().parent == out.resolve() or out.resolve() in truth.resolve().parents:
        parser.error(f"--truth {truth} is inside --out {out}: the daemon would take it as an inbox file")

    from sklearn.datasets import load_digits

    digits = load_digits()
    rows = choose(digits.target, args.count, args.classes, args.shuffle)
    out.mkdir(parents=True, exist_ok=True)
    truth.parent.mkdir(parents=True, exist_ok=True)
    seen = {}
    records = []
    for index in rows:
        data = render(digits.images[index], args.scale)
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen:  # the daemon refuses a second copy of the same bytes
            print(f"make-digits: row {index} renders like row {seen[digest]}; skipped", file=sys.stderr)
            continue
        seen[digest] = index
        name = f"digit-{index:04d}.png"
        (out / name).write_bytes(data)
        records.append((name, int(digits.target[index]), int(index), digest))
    temp = truth.with_name(f".{truth.name}.tmp")
    with open(temp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "label", "index", "sha256"])
        writer.writerows(records)
    temp.replace(truth)
    print(f"make-digits: {len(records)} images in {out}, truth in {truth}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
