"""scripts/make-digits.py renders scikit-learn's digits faithfully: every PNG
holds its dataset row's ink, the truth CSV names its label and SHA-256, and a
rerun writes the same bytes."""
import csv
import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make-digits.py"


def make(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True, timeout=120)


def read_truth(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_images_hold_the_dataset_and_the_truth_names_them(tmp_path):
    out = tmp_path / "Inbox" / "digits"
    run = make("--out", out, "--count", 40, "--scale", 3)
    assert run.returncode == 0, run.stderr
    truth = tmp_path / "Inbox" / "digits-truth.csv"
    rows = read_truth(truth)
    digits = load_digits()
    assert len(rows) == 40 and sorted(p.name for p in out.iterdir()) == sorted(r["file"] for r in rows)
    for row in rows:
        index = int(row["index"])
        data = (out / row["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["sha256"]
        assert int(row["label"]) == digits.target[index]
        img = Image.open(out / row["file"])
        assert img.mode == "L" and img.size == (24, 24)
        ink = (255 - np.asarray(img, dtype=np.float64)) * 16 / 255
        np.testing.assert_allclose(ink[1::3, 1::3], digits.images[index], atol=0.05)
    assert {int(r["label"]) for r in rows} == set(range(10))


def test_classes_shuffle_and_a_rerun_is_byte_identical(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        run = make("--out", out, "--classes", "3,8", "--count", 25, "--shuffle", 7)
        assert run.returncode == 0, run.stderr
    rows = read_truth(tmp_path / "a-truth.csv")
    assert len(rows) == 25 and {r["label"] for r in rows} == {"3", "8"}
    assert [int(r["index"]) for r in rows] != sorted(int(r["index"]) for r in rows)  # shuffled
    assert rows == read_truth(tmp_path / "b-truth.csv")
    for row in rows:
        assert (first / row["file"]).read_bytes() == (second / row["file"]).read_bytes()


def test_all_1797_are_distinct_images(tmp_path):
    run = make("--out", tmp_path / "all", "--scale", 1)
    assert run.returncode == 0, run.stderr
    rows = read_truth(tmp_path / "all-truth.csv")
    assert len(rows) == 1797 and len({r["sha256"] for r in rows}) == 1797


def test_bad_arguments_are_refused_with_the_reason(tmp_path):
    run = make("--out", tmp_path / "d", "--truth", tmp_path / "d" / "truth.csv")
    assert run.returncode == 2 and "inside --out" in run.stderr
    run = make("--out", tmp_path / "d", "--classes", "1,x")
    assert run.returncode == 2 and "digits separated by commas" in run.stderr
    run = make("--out", tmp_path / "d", "--count", 0)
    assert run.returncode == 2 and "at least 1" in run.stderr
    assert not (tmp_path / "d").exists()
