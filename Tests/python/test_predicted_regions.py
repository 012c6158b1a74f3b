"""Regions proposed by a predictor (SPEC section 8), end to end with the built daemon.

A bbox or polygon project with `assist` and a `predictor` has each pool image
asked `op: predict` before it is paged (it waits up to the predictor's
timeout). The fake predictor (predictors/fake_predictor.py) proposes two good
regions, one below `min_confidence`, and three that break SPEC section 3's
rules (outside the image, an unknown tag, a crossing polygon). Checked through
the files, with `watch --once` between a simulated labeler's rounds: only the
good, confident regions are filled in, each with its `prelabel` note and the
proposals beside them; a labeler keeps, moves, deletes and draws regions; the
outbox says `label_source` per region and per image, and `status` counts what
became of the model's regions. A predictor that prints garbage leaves pages
without proposals.

Binary: $LABELMILL_BIN, else .build/debug/labelmill.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from test_assist import BIN, drop, make_digits, once, pages_in, read, where_is_everything

FAKE = Path(__file__).resolve().parent / "predictors" / "fake_predictor.py"
TAGS = ["Digit", "Other"]


def region_project(root, task, mode):
    inbox = root / "Inbox" / "digits"
    inbox.mkdir(parents=True, exist_ok=True)
    settings = {"task": task, "tags": TAGS, "page_size": 4, "pages_per_labeler": 5, "flush_seconds": 0,
                "predictor": {"command": [sys.executable, str(FAKE), mode], "timeout_seconds": 5, "min_confidence": 0.5},
                "assist": {"queue_pages": 2, "cluster": False}}
    (inbox / "project.json").write_text(json.dumps(settings))
    return inbox


def moved(region):
    if "box" in region:
        return {**region, "box": {**region["box"], "x": region["box"]["x"] + 1}}
    return {**region, "polygon": [[x + 1, y] for x, y in region["polygon"]]}


def drawn(task):
    if task == "bbox":
        return {"tag": "Other", "box": {"x": 20, "y": 2, "width": 5, "height": 5}}
    return {"tag": "Other", "polygon": [[20, 2], [25, 2], [22, 6]]}


def label_everything(root, task, rounds=100):
    """Kept, moved and deleted, or redrawn, by the image's position; returns what each image was given."""
    folder = root / "Watch" / "digits" / "labelers" / "ann"
    folder.mkdir(parents=True, exist_ok=True)
    given, seen = {}, {}
    for _ in range(rounds):
        once(root)
        pages = [p for p in pages_in(folder) if read(p)["status"] == "open"]
        if not pages:
            once(root)
            if not [p for p in pages_in(folder) if read(p)["status"] == "open"]:
                return given, seen
            continue
        for page in pages:
            manifest = read(page)
            for image in manifest["images"]:
                seen[image["sha256"]] = json.loads(json.dumps(image))
                regions = image["regions"]
                if not regions:
                    choice, image["regions"] = "drawn", [drawn(task)]
                elif len(given) % 3 == 0:
                    choice = "kept"
                elif len(given) % 3 == 1:
                    choice, image["regions"] = "moved-and-deleted", [moved(regions[0])]
                else:
                    choice, image["regions"] = "redrawn", [drawn(task)]
                given[image["sha256"]] = choice
            manifest["status"] = "submitted"
            temp = page / ".page.json.tmp"
            temp.write_text(json.dumps(manifest, indent=2))
            temp.rename(page / "page.json")
    raise AssertionError("the labeler never ran out of pages")


@pytest.mark.parametrize("task", ["bbox", "polygon"])
def test_good_confident_regions_are_filled_in_and_their_fate_is_recorded(tmp_path, task):
    root = tmp_path / "root"
    root.mkdir()
    images, truth, names = make_digits(root, 24, seed=53)
    inbox = region_project(root, task, "good")
    drop(images, names, inbox)
    given, seen = label_everything(root, task)
    assert set(given) == set(truth)
    # What the labeler was shown: the two good, confident proposals, filled in with their note.
    for sha, image in seen.items():
        filled = image["regions"]
        assert len(filled) == 2, filled
        assert [r["tag"] for r in filled] == ["Digit", "Other"]
        assert all(r["prelabel"]["model"] == "fake_predictor" and 0.5 <= r["prelabel"]["confidence"] <= 1 for r in filled)
        for r in filled:
            if task == "bbox":
                b = r["box"]
                assert b["x"] >= 0 and b["y"] >= 0 and b["x"] + b["width"] <= image["width"] and b["y"] + b["height"] <= image["height"]
            else:
                assert all(0 <= x <= image["width"] and 0 <= y <= image["height"] for x, y in r["polygon"])
        assert [(p["tag"], p["confidence"]) for p in image["prelabels"]] == [("Digit", 0.9), ("Other", 0.7)]
    # Every image accepted once; each region's and image's source as the labeler's choice says.
    places = where_is_everything(root)
    assert all(len(p) == 1 and p[0].startswith("Outbox") for p in places.values()) and set(places) == set(truth)
    expected = {"kept": (["model-accepted", "model-accepted"], "model-accepted"),
                "moved-and-deleted": (["model-adjusted"], "model-adjusted"),
                "redrawn": (["human"], "model-adjusted")}
    for page in pages_in(root / "Outbox" / "digits"):
        manifest = read(page)
        assert manifest["assist"]["prelabeled"] is True and manifest["assist"]["model"] == "fake_predictor"
        for image in manifest["images"]:
            regions, source = expected[given[image["sha256"]]]
            assert [r["label_source"] for r in image["regions"]] == regions, image
            assert image["label_source"] == source
            assert all("prelabel" in r for r in image["regions"] if r["label_source"] != "human")
    # status: per model, what became of its regions.
    counts = {choice: list(given.values()).count(choice) for choice in expected}
    run = subprocess.run([BIN, "status", "--root", str(root), "--json"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    regions = json.loads(run.stdout)["projects"][0]["assist"]["regions"]["fake_predictor"]
    assert regions == {"proposed": 2 * len(truth), "kept": 2 * counts["kept"], "adjusted": counts["moved-and-deleted"],
                       "deleted": counts["moved-and-deleted"] + 2 * counts["redrawn"]}
    text = subprocess.run([BIN, "status", "--root", str(root)], capture_output=True, text=True).stdout
    assert f"regions from fake_predictor on accepted pages: {2 * len(truth)} proposed, {2 * counts['kept']} kept" in text, text


def test_a_predictor_that_prints_garbage_leaves_pages_without_proposals(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    images, truth, names = make_digits(root, 8, seed=59)
    inbox = region_project(root, "bbox", "garbage")
    drop(images, names, inbox)
    given, seen = label_everything(root, "bbox")
    assert set(given) == set(truth)
    assert all(image["regions"] is None and "prelabels" not in image for image in seen.values())
    for page in pages_in(root / "Outbox" / "digits"):
        for image in read(page)["images"]:
            assert image["label_source"] == "human" and [r["label_source"] for r in image["regions"]] == ["human"]
