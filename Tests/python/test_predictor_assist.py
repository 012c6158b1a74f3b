"""ML assist with a predictor embedder (SPEC sections 7 and 8), end to end with the built daemon.

A project's `"assist": {"embedder": "predictor"}` has the daemon ask the
project's `"predictor"` command for each pool image's embedding. Two kinds of
predictor here:

- tests/python/predictors/fake_predictor.py in each way a predictor can go
  wrong (crash at start or mid-stream, hang, garbage, wrong ids, bad vectors,
  refusals), run by `labelmill watch` on inotify while a simulated labeler
  works: every image is paged, submissions reach the outbox while the
  predictor misbehaves, restarts are visible, nothing invalid is logged;
- the reference predictor (predictors/efficientnet_lite0.py, EfficientNet-Lite0
  on ONNX Runtime) through `watch --once`: 1280-value embeddings in the log
  of its command, clustered pages, models named `predictor-N`, and nothing
  embedded again after a restart.

Binary: $LABELMILL_BIN, else .build/debug/labelmill.
"""
import base64
import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_assist import BIN, REPO, Labeler, drop, make_digits, once, pages_in, purity, read, run_until_done, where_is_everything

FAKE = Path(__file__).resolve().parent / "predictors" / "fake_predictor.py"
TAGS = [str(d) for d in range(10)]


class LiveLabeler(Labeler):
    """A Labeler beside a running daemon: a page it is moving or writing is left for the next round."""

    def work(self):
        try:
            return super().work()
        except (FileNotFoundError, json.JSONDecodeError):
            return 0


def predictor_project(root, command, timeout_seconds, **assist):
    inbox = root / "Inbox" / "digits"
    inbox.mkdir(parents=True, exist_ok=True)
    settings = {"task": "multi-class", "tags": TAGS, "page_size": 4, "pages_per_labeler": 5, "flush_seconds": 0,
                "predictor": {"command": command, "timeout_seconds": timeout_seconds},
                "assist": {"embedder": "predictor", "min_labeled": 1000, "retrain_every": 1000, "target_precision": 0.95,
                           "queue_pages": 2, **assist}}
    (inbox / "project.json").write_text(json.dumps(settings))
    return inbox


def predictor_logs(root):
    return sorted((root / ".labelmill" / "assist" / "digits").glob("embeddings-predictor-*.log"))


def log_vectors(path):
    """sha256 -> number of values, for each line of an embeddings log; every line must be whole and valid."""
    vectors = {}
    for number, line in enumerate(path.read_bytes().split(b"\n")[:-1], 1):
        sha, values, crc = line.split(b" ")
        assert len(sha) == 64 and len(crc) == 8, f"{path.name} line {number}: {line[:80]!r}"
        raw = base64.b64decode(values, validate=True)
        assert len(raw) % 2 == 0 and raw, f"{path.name} line {number}: {len(raw)} bytes of values"
        vectors.setdefault(sha.decode(), []).append(len(raw) // 2)
    return vectors


def run_daemon_with_labeler(root, labeler, expected, seconds, waves):
    """`labelmill watch` on inotify while the labeler works and `waves` (seconds after the start, callable)
    drop images; returns (submit->outbox delays, daemon stderr)."""
    log_path = root.parent / "daemon.log"
    with open(log_path, "w") as log:
        daemon = subprocess.Popen([BIN, "watch", "--root", str(root)], stderr=log, stdout=log)
        submitted = {}  # page id -> when it was handed in
        delays = []
        waves = sorted(waves, key=lambda wave: wave[0])
        try:
            start = time.monotonic()
            deadline = start + seconds
            while time.monotonic() < deadline:
                while waves and time.monotonic() - start >= waves[0][0]:
                    waves.pop(0)[1]()
                before = len(labeler.seen)
                labeler.work()
                now = time.monotonic()
                for record in labeler.seen[before:]:
                    submitted[record["page"]] = now
                outbox = {read(p)["page"] for p in pages_in(root / "Outbox" / "digits")}
                for page in [p for p in submitted if p in outbox]:
                    delays.append(now - submitted.pop(page))
                if len(outbox) * 4 >= expected and not submitted and not waves:
                    break
                assert "project is skipped" not in log_path.read_text(), log_path.read_text()
                time.sleep(0.05)
            assert daemon.poll() is None, "the daemon exited"
        finally:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
                raise AssertionError("the daemon did not stop within 30 s of SIGTERM")
    return delays, log_path.read_text()


MISBEHAVIOURS = {
    # mode: (timeout_seconds, what the daemon's log says)
    "crash-start": (1, "exited"),
    "crash-after-3": (1, "exited"),
    "hang": (30, None),  # a long timeout: paging and review must not wait for it
    "garbage": (1, "not JSON"),
    "wrong-id": (1, "id"),
    "bad-vector": (1, "embedding"),
    "refuse": (1, "refuses everything"),
}


@pytest.mark.parametrize("mode", sorted(MISBEHAVIOURS))
def test_the_daemon_keeps_working_whatever_the_predictor_does(tmp_path, mode):
    timeout, said = MISBEHAVIOURS[mode]
    root = tmp_path / "root"
    root.mkdir()
    images, truth, names = make_digits(root, 24, seed=41)
    asks = tmp_path / "asks.log"
    inbox = predictor_project(root, [sys.executable, str(FAKE), mode, "--log", str(asks)], timeout, cluster=True)
    labeler = LiveLabeler(root, "ann", lambda sha, image: truth[sha])
    # Two waves: the second comes after the first restart's pause (1 s), while images still arrive.
    delays, log = run_daemon_with_labeler(root, labeler, len(names), seconds=120, waves=[
        (0.5, lambda: drop(images, names[:12], inbox)), (4, lambda: drop(images, names[12:], inbox))])
    # Every image paged, labeled and accepted, each in one place.
    places = where_is_everything(root)
    assert set(places) == set(truth), f"missing: {set(truth) - set(places)}\n{log}"
    assert all(len(p) == 1 and p[0].startswith("Outbox") for p in places.values()), places
    # Review never waited on the predictor: each submission was in the outbox within seconds,
    # far below the hang mode's 30 s timeout (the daemon's quiet period is about a second).
    assert delays and max(delays) < 10, (delays, log)
    # The predictor was started and asked; the crashing ones were restarted.
    lines = asks.read_text().split("\n")
    starts = [line for line in lines if line.startswith("start ")]
    assert starts, "the predictor was never started"
    if mode != "crash-start":
        assert any(line.startswith("ask ") for line in lines)
    if mode.startswith("crash") or mode in ("garbage", "wrong-id"):
        assert len(starts) >= 2, f"no restart after {mode}: {lines}"
    if said:
        assert said in log, log
    # Nothing a misbehaving predictor said is in the log: no line at all, or only whole 8-value vectors.
    for path in predictor_logs(root):
        vectors = log_vectors(path)
        assert all(v == [8] for v in vectors.values()), vectors
        if mode != "crash-after-3":
            assert not vectors, f"{mode}: {vectors}"


def test_a_good_predictor_embeds_every_image_once_and_clusters(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    images, truth, names = make_digits(root, 40, seed=43)
    asks = tmp_path / "asks.log"
    inbox = predictor_project(root, [sys.executable, str(FAKE), "good", "--log", str(asks)], 5, cluster=True)
    labeler = LiveLabeler(root, "ann", lambda sha, image: truth[sha])
    run_daemon_with_labeler(root, labeler, len(names), seconds=120, waves=[
        (0.5, lambda: drop(images, names[:20], inbox)), (2, lambda: drop(images, names[20:], inbox))])
    [path] = predictor_logs(root)
    vectors = log_vectors(path)
    assert set(vectors) == set(truth) and all(v == [8] for v in vectors.values())
    # One process for the whole run, asked once per image.
    lines = asks.read_text().split("\n")
    assert len([line for line in lines if line.startswith("start ")]) == 1
    assert len([line for line in lines if line.startswith("ask ")]) == len(truth)
    assert any((r["assist"] or {}).get("clustered") for r in labeler.seen)


def reference_model():
    sys.path.insert(0, str(REPO / "predictors"))
    import efficientnet_lite0
    return efficientnet_lite0.convert(log=lambda _: None)


def test_the_reference_predictor_embeds_clusters_and_trains_without_recomputing(tmp_path, monkeypatch):
    monkeypatch.setenv("LABELMILL_EFFICIENTNET_ONNX", str(reference_model()))
    root = tmp_path / "root"
    root.mkdir()
    images, truth, names = make_digits(root, 160, seed=47, classes=[0, 1, 7])
    command = [sys.executable, str(REPO / "predictors" / "efficientnet_lite0.py")]
    inbox = predictor_project(root, command, 60, cluster=True, min_labeled=60, retrain_every=40)
    drop(images, names, inbox)
    labeler = Labeler(root, "ann", lambda sha, image: truth[sha])
    run_until_done(root, [labeler], rounds=200)
    places = where_is_everything(root)
    assert set(places) == set(truth) and all(p[0].startswith("Outbox") for p in places.values())
    # The CNN's 1280 values per image, in the log of this command, each image once.
    [path] = predictor_logs(root)
    vectors = log_vectors(path)
    assert set(vectors) == set(truth) and all(v == [1280] for v in vectors.values())
    # Clustered pages, purer than the pages' images shuffled.
    manual = [[i["sha256"] for i in r["images"]] for r in labeler.seen
              if (r["assist"] or {}).get("clustered") and not (r["assist"] or {}).get("prelabeled") and len(r["images"]) == 4]
    assert len(manual) >= 10
    shuffled = [s for page in manual for s in page]
    random.Random(5).shuffle(shuffled)
    random_pages = [shuffled[i:i + 4] for i in range(0, len(shuffled) - 3, 4)]
    assert purity(manual, truth) > purity(random_pages, truth), (purity(manual, truth), purity(random_pages, truth))
    # A model of this embedder was trained on the human labels.
    model = json.loads((root / ".labelmill" / "assist" / "digits" / "model.json").read_text())
    assert model["model"].startswith("predictor-"), model
    assert model["trained_on"] >= 60
    # A restart reads the log back: nothing is embedded again.
    size = path.stat().st_size
    once(root)
    assert path.stat().st_size == size
