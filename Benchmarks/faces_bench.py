#!/usr/bin/env python3
"""The reference face predictor (predictors/faces.py): how well and how fast.

    .venv/bin/python Benchmarks/faces_bench.py [--requests 60]

- Accuracy on scikit-image's lfw_subset (100 faces, 100 non-faces, 25 x 25
  grey crops, each shown 4x larger with a margin of its own edge, as a face
  in a photo): at each confidence threshold, recall (faces with a box whose
  IoU with the face's square is at least 0.4) and precision (such boxes over
  all boxes at that confidence, on all 200 images).
- False alarms on 19 of scikit-image's sample photos without a face.
- Throughput through the protocol: --requests predict requests pipelined to
  one `predictors/faces.py` process, on the astronaut at three sizes.
"""
import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import skimage.data
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
FACES = REPO / "predictors" / "faces.py"
sys.path.insert(0, str(REPO / "Tests" / "python"))
from test_faces_predictor import NO_FACE_PHOTOS, iou, lfw_image, rgb  # noqa: E402


def load_faces():
    spec = importlib.util.spec_from_file_location("faces_predictor", FACES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def accuracy(detector, faces):
    lfw = skimage.data.lfw_subset()
    centre = (25, 25, 100, 100)
    found = [detector.detect(lfw_image(image, faces)) for image in lfw]
    rows = []
    for threshold in (0.3, 0.5, 0.7, 0.9):
        hits = boxes = recalled = 0
        for k, image_faces in enumerate(found):
            kept = [f for f in image_faces if f[4] >= threshold]
            boxes += len(kept)
            good = [f for f in kept if k < 100 and iou(f[:4], centre) >= 0.4]
            hits += len(good)
            recalled += bool(good)
        precision = hits / boxes if boxes else float("nan")
        rows.append((threshold, recalled, precision, boxes))
    return rows


def false_alarms(detector):
    counts = {}
    for name in NO_FACE_PHOTOS:
        confidences = [f[4] for f in detector.detect(rgb(getattr(skimage.data, name)()))]
        counts[name] = confidences
    return counts


def throughput(size, requests, folder):
    path = folder / f"astronaut-{size}.png"
    Image.fromarray(skimage.data.astronaut()).resize((size, size), Image.BICUBIC).save(path)
    process = subprocess.Popen([sys.executable, str(FACES)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    line = lambda i: (json.dumps({"id": i, "op": "predict", "image": str(path), "width": size, "height": size,
                                  "task": "bbox", "tags": ["Face"]}) + "\n").encode()
    process.stdin.write(line(0))  # the first answer includes the cascade's load
    process.stdin.flush()
    json.loads(process.stdout.readline())
    start = time.perf_counter()
    for i in range(1, requests + 1):
        process.stdin.write(line(i))
    process.stdin.flush()
    answers = [json.loads(process.stdout.readline()) for _ in range(requests)]
    elapsed = time.perf_counter() - start
    process.stdin.close()
    process.wait()
    assert all("regions" in a for a in answers), answers[:3]
    return requests / elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=60)
    args = ap.parse_args()
    faces = load_faces()
    detector = faces.Detector()
    print("lfw_subset (100 faces, 100 non-faces):")
    print("| min confidence | faces found | precision of boxes | boxes |")
    print("|---:|---:|---:|---:|")
    for threshold, recalled, precision, boxes in accuracy(detector, faces):
        print(f"| {threshold} | {recalled}/100 | {precision:.3f} | {boxes} |")
    alarms = false_alarms(detector)
    confident = sum(sum(c >= 0.5 for c in v) for v in alarms.values())
    every = sorted(c for v in alarms.values() for c in v)
    print(f"\n{len(NO_FACE_PHOTOS)} sample photos without a face: {len(every)} boxes, {confident} at confidence >= 0.5"
          f" (highest {max(every, default=0):.2f})")
    with tempfile.TemporaryDirectory() as scratch:
        for size in (256, 512, 1024):
            rate = throughput(size, args.requests, Path(scratch))
            print(f"throughput, {size} x {size} PNG: {rate:.1f} images/s (one process, {args.requests} requests pipelined)")


if __name__ == "__main__":
    main()
