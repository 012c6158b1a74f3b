#!/usr/bin/env python3
"""A predictor attached to a bbox project against none, with `labelmill watch` on inotify.

    .venv/bin/python Benchmarks/predictor_bench.py [--samples 40] [--burst 400] [--bin PATH]
                                                   [--predictors none,fake,faces]

Each configuration runs on a fresh root: a bbox project with ML assist
(`queue_pages` 2, no clustering, the builtin embedder) and, but for `none`, a
`"predictor"`: `fake` is Tests/python/predictors/fake_predictor.py (answers at
once, the cost of the protocol alone), `faces` the reference face predictor
(predictors/faces.py, OpenCV's Haar cascade). Images are scikit-image's
astronaut resized to 256 x 256 with a different pixel each, so every one is new.

- drop -> page: one image renamed into the inbox (as rsync finishes a file),
  timed until it is in a page.json (the queue has room: a labeler holds the
  pages and hands each in); with a predictor that includes its answer, which
  the image waits for;
- submit -> outbox: a held page.json replaced with status submitted (as an
  editor saves), timed until the page is in the outbox;
- throughput: --burst images renamed in at once with the queue's room made
  large (queue_pages = burst), timed until every image is on a page; with a
  predictor, the images with proposals over that time (predictions/s).

Prints p50 and p99 of each latency and the throughput per configuration.
"""
import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FAKE = REPO / "Tests" / "python" / "predictors" / "fake_predictor.py"
FACES = REPO / "predictors" / "faces.py"


def make_images(folder, count, seed):
    import numpy as np
    from PIL import Image
    from skimage import data

    folder.mkdir(parents=True, exist_ok=True)
    base = np.asarray(Image.fromarray(data.astronaut()).resize((256, 256)))
    names = []
    for i in range(count):
        pixels = base.copy()
        pixels[0, 0] = [(seed * 7 + i) % 256, (i // 256) % 256, seed % 256]
        pixels[0, 1] = [i % 256, (i // 65536) % 256, 17]
        name = f"img-{seed}-{i:05d}.png"
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="PNG")
        (folder / name).write_bytes(buffer.getvalue())
        names.append(name)
    return names


def settings(predictor, queue_pages):
    project = {"task": "bbox", "tags": ["Face", "Other"], "page_size": 1, "pages_per_labeler": 1000, "flush_seconds": 0,
               "assist": {"queue_pages": queue_pages, "cluster": False, "prelabel": False}}
    if predictor == "fake":
        project["predictor"] = {"command": [sys.executable, str(FAKE), "good"], "timeout_seconds": 30}
    elif predictor == "faces":
        project["predictor"] = {"command": [sys.executable, str(FACES)], "timeout_seconds": 30}
    return project


def page_of(root):
    """image file name -> page folder, over the queue and the labeler's folder."""
    found = {}
    watch = root / "Watch" / "bench"
    for folder in [watch / "queue", watch / "labelers" / "ann"]:
        if not folder.exists():
            continue
        for page in folder.iterdir():
            if page.name.startswith("page-"):
                try:
                    for entry in page.iterdir():
                        if entry.suffix == ".png":
                            found[entry.name] = page
                except FileNotFoundError:  # handed to the labeler meanwhile: found there
                    pass
    return found


def read_quietly(path):
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def wait_for(check, seconds=120, step=0.002):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(step)
    raise SystemExit("timed out")


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run(binary, predictor, staging, names, samples, burst, scratch):
    root = Path(tempfile.mkdtemp(dir=scratch, prefix=f"predictor-{predictor}-"))
    inbox = root / "Inbox" / "bench"
    inbox.mkdir(parents=True)
    (inbox / "project.json").write_text(json.dumps(settings(predictor, 2)))
    incoming = root / "incoming"
    shutil.copytree(staging, incoming)
    labeler = root / "Watch" / "bench" / "labelers" / "ann"
    log = open(root / "daemon.log", "w")
    daemon = subprocess.Popen([binary, "watch", "--root", str(root)], stdout=log, stderr=log)
    drops, submits = [], []
    try:
        wait_for(lambda: (root / "Watch" / "bench" / "queue").exists())
        labeler.mkdir(parents=True, exist_ok=True)
        time.sleep(0.5)
        for name in names[:samples]:
            start = time.perf_counter()
            os.rename(incoming / name, inbox / name)
            # The image's page: found by the image's own file name in a page folder.
            page = wait_for(lambda: page_of(root).get(name))
            drops.append(time.perf_counter() - start)
            # Wait until it is handed to the labeler, then hand it in.
            held = wait_for(lambda: (labeler / page.name / "page.json").exists() and labeler / page.name)
            manifest = wait_for(lambda: read_quietly(held / "page.json"))
            for image in manifest["images"]:
                image["regions"] = image["regions"] or []
            manifest["status"] = "submitted"
            temp = held / ".page.json.tmp"
            temp.write_text(json.dumps(manifest))
            start = time.perf_counter()
            temp.rename(held / "page.json")
            wait_for(lambda: (root / "Outbox" / "bench" / held.name).exists())
            submits.append(time.perf_counter() - start)
        # Throughput: room for the whole burst.
        (inbox / "project.json").write_text(json.dumps(settings(predictor, burst + 10)))
        time.sleep(1.5)
        rest = names[samples:samples + burst]
        start = time.perf_counter()
        for name in rest:
            os.rename(incoming / name, inbox / name)
        wanted = set(rest)
        wait_for(lambda: wanted <= set(page_of(root)), seconds=1200, step=0.05)
        elapsed = time.perf_counter() - start
        proposed = 0
        for name, page in page_of(root).items():
            if name in wanted:
                manifest = wait_for(lambda: read_quietly(page / "page.json") or read_quietly(labeler / page.name / "page.json"))
                image = next(i for i in manifest["images"] if i["file"] == name)
                proposed += bool(image.get("prelabels"))
    finally:
        daemon.terminate()
        daemon.wait()
        log.close()
        shutil.rmtree(root, ignore_errors=True)
    return drops, submits, len(rest) / elapsed, proposed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=40)
    ap.add_argument("--burst", type=int, default=400)
    ap.add_argument("--bin", default=str(REPO / ".build" / "release" / "labelmill"))
    ap.add_argument("--predictors", default="none,fake,faces")
    ap.add_argument("--scratch", default=None)
    args = ap.parse_args()
    scratch = Path(args.scratch or tempfile.mkdtemp(prefix="predictor-bench-"))
    rows = []
    for k, predictor in enumerate(args.predictors.split(",")):
        staging = scratch / f"images-{k}"
        names = make_images(staging, args.samples + args.burst, seed=k + 1)
        drops, submits, rate, proposed = run(args.bin, predictor, staging, names, args.samples, args.burst, scratch)
        ms = lambda s: f"{s * 1000:.0f} ms"
        rows.append((predictor, ms(percentile(drops, 50)), ms(percentile(drops, 99)), ms(percentile(submits, 50)),
                     ms(percentile(submits, 99)), f"{rate:,.0f} images/s", f"{proposed}/{args.burst}"))
        print(f"{predictor}: drop->page p50 {rows[-1][1]} p99 {rows[-1][2]}; submit->outbox p50 {rows[-1][3]} p99 {rows[-1][4]};"
              f" burst {rows[-1][5]}, {rows[-1][6]} with proposals", flush=True)
        shutil.rmtree(staging, ignore_errors=True)
    print("\n| predictor | drop -> page p50 | p99 | submit -> outbox p50 | p99 | burst paged | with proposals |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
