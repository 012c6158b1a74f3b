"""A real Label Studio ML backend answering the built daemon (SPEC section 8, `"protocol": "label-studio"`).

The backend (Tests/python/predictors/ls_backend.py) is the `label-studio-ml`
package's own server around a LabelStudioMLBase model; it fetches each image from
the daemon's loopback image server as Label Studio's backends do. Checked through
the files with `watch --once`: faces found by the backend arrive as prelabeled
boxes; its percent coordinates become pixels; what SPEC section 3 refuses is
dropped with a log line; a backend that fails, hangs or is not there leaves pages
without proposals, on time.
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from reference_predictors import pages_with_predictions, sample_photos
from test_faces_predictor import ASTRONAUT_FACE, as_tuple, iou

BACKEND = Path(__file__).resolve().parent / "predictors" / "ls_backend.py"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    return {f"{name}.png": path for name, path in sample_photos(tmp_path_factory.mktemp("photos"), ["astronaut", "coffee"]).items()}


@pytest.fixture
def backend(tmp_path):
    """start(mode) runs the backend; returns (url, log of the requests it received)."""
    started = []

    def start(mode):
        port = free_port()
        log = tmp_path / f"backend-{mode}.jsonl"
        env = {**os.environ, "LS_BACKEND_LOG": str(log), "LS_BACKEND_DIR": str(tmp_path / "model-dir")}
        err = open(tmp_path / f"backend-{mode}.err", "w")
        process = subprocess.Popen([sys.executable, str(BACKEND), str(port), mode], env=env, stdout=err, stderr=err)
        started.append((process, err))
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/health", timeout=2) as answer:
                    assert json.loads(answer.read())["status"] == "UP"
                    break
            except OSError:
                assert process.poll() is None, (tmp_path / f"backend-{mode}.err").read_text()
                assert time.monotonic() < deadline, "the backend did not come up"
                time.sleep(0.2)
        return url, log

    yield start
    for process, err in started:
        process.terminate()
        process.wait(timeout=30)
        err.close()


def requests_of(log):
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def label_studio(url, timeout=30):
    return {"url": url, "protocol": "label-studio", "timeout_seconds": timeout, "min_confidence": 0.5}


def test_a_backend_finds_the_face_and_it_arrives_as_a_prelabeled_box(tmp_path, backend, photos):
    url, log = backend("faces")
    seen, _ = pages_with_predictions(tmp_path / "root", label_studio(url), "bbox", ["Face", "Other"], photos)
    regions = seen["astronaut.png"]["regions"]
    assert regions and len(regions) == 1, seen["astronaut.png"]
    assert regions[0]["tag"] == "Face" and regions[0]["prelabel"]["model"] == f"label-studio:{url[len('http://'):]}"
    assert iou(as_tuple(regions[0]["box"]), ASTRONAUT_FACE) >= 0.6
    assert seen["coffee.png"]["regions"] is None
    # What the backend was told, as Label Studio tells it: the config's control and labels, and
    # image URLs on the daemon's loopback server, which it fetched (it read each image's size).
    calls = requests_of(log)
    setup = next(c for c in calls if c["kind"] == "setup")
    assert setup["control"] == "rectanglelabels" and setup["labels"] == ["Face", "Other"]
    predicted = [c for c in calls if c["kind"] == "predict"]
    assert sorted((c["width"], c["height"]) for c in predicted) == [(512, 512), (600, 400)]
    assert all(c["url"].startswith("http://127.0.0.1:") for c in predicted)


def test_percent_becomes_pixels_and_what_breaks_the_rules_is_dropped(tmp_path, backend, photos):
    url, _ = backend("shapes")
    seen, log = pages_with_predictions(tmp_path / "root", label_studio(url), "bbox", ["Face", "Other"],
                                       {"astronaut.png": photos["astronaut.png"]})
    regions = seen["astronaut.png"]["regions"]
    assert [(r["tag"], r["box"], r["prelabel"]["confidence"]) for r in regions] == [
        ("Face", {"x": 128, "y": 128, "width": 256, "height": 256}, 0.9),
        ("Other", {"x": 0, "y": 0, "width": 512, "height": 512}, 0.8)]
    for words in ["rotated by 30 degrees", "a polygon, in a bbox project", "is not RectangleLabels", "Unicorn"]:
        assert words in log, words


def test_polygon_projects_take_polygons_and_turned_rectangles(tmp_path, backend, photos):
    url, log = backend("shapes")
    seen, log = pages_with_predictions(tmp_path / "root", label_studio(url), "polygon", ["Text", "Other"],
                                       {"astronaut.png": photos["astronaut.png"]})
    regions = seen["astronaut.png"]["regions"]
    assert [r["polygon"] for r in regions] == [
        [[51.2, 51.2], [256, 51.2], [153.6, 204.8]],
        [[256, 256], [256, 358.4], [204.8, 358.4], [204.8, 256]]], regions
    assert all(r["tag"] == "Text" for r in regions)


@pytest.mark.parametrize("mode", ["error", "slow", "absent"])
def test_a_backend_that_fails_hangs_or_is_not_there_leaves_pages_without_proposals(tmp_path, backend, photos, mode):
    url = f"http://127.0.0.1:{free_port()}" if mode == "absent" else backend(mode)[0]
    start = time.monotonic()
    seen, log = pages_with_predictions(tmp_path / "root", label_studio(url, timeout=3), "bbox", ["Face", "Other"], photos)
    assert all(image["regions"] is None for image in seen.values())
    assert time.monotonic() - start < 120
    expected = {"error": "HTTP 500", "slow": "within 3 s", "absent": "could not be reached"}[mode]
    assert expected in log, log[-3000:]
