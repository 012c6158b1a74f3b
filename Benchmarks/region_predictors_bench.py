#!/usr/bin/env python3
"""The reference region predictors (predictors/faces.py, predictors/text_lines.py): how well, how fast.

    .venv/bin/python Benchmarks/region_predictors_bench.py [--requests 30]

- Faces on scikit-image's lfw_subset (100 faces, 100 non-faces, 25 x 25 grey
  crops, each shown 4x larger with a margin of its own edge, as a face in a
  photo): at each confidence threshold, recall (faces with a box whose IoU
  with the face's square is at least 0.4) and precision (such boxes over all
  boxes at that confidence, on all 200 images); and the boxes on 19 sample
  photos without a face.
- Text lines on scikit-image's `page` (7 lines) and on the photos without text.
- Throughput through the protocol: --requests predict requests pipelined to
  one predictor process (one thread, its default), on scikit-image's photos.
"""
import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import skimage.data
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "Tests" / "python"))
from reference_predictors import Serving, load, rgb  # noqa: E402
from test_faces_predictor import NO_FACE_PHOTOS, iou, lfw_image  # noqa: E402


def face_accuracy(detector, faces):
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
        rows.append((threshold, recalled, hits / boxes if boxes else float("nan"), boxes))
    return rows


def confidences_on(detector, names, confidence_of):
    return sorted(confidence_of(found) for name in names for found in detector.detect(rgb(getattr(skimage.data, name)())))


def throughput(name, photo, size, requests, folder):
    path = folder / f"{photo}-{size[0]}x{size[1]}.png"
    Image.fromarray(rgb(getattr(skimage.data, photo)())).resize(size, Image.BICUBIC).save(path)
    serving = Serving(name)
    line = lambda i: (json.dumps({"id": i, "op": "predict", "image": str(path), "width": size[0], "height": size[1],
                                  "task": "polygon", "tags": ["Face", "Text"]}) + "\n").encode()
    serving.ask(json.loads(line(0)))  # the first answer includes loading the model
    start = time.perf_counter()
    for i in range(1, requests + 1):
        serving.process.stdin.write(line(i))
    serving.process.stdin.flush()
    answers = [json.loads(serving.process.stdout.readline()) for _ in range(requests)]
    elapsed = time.perf_counter() - start
    serving.close()
    assert all("regions" in a for a in answers), answers[:3]
    return requests / elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=30)
    args = ap.parse_args()
    faces = load("faces")
    face_detector = faces.Detector()
    print("faces on lfw_subset (100 faces, 100 non-faces):")
    print("| min confidence | faces found | precision of boxes | boxes |")
    print("|---:|---:|---:|---:|")
    for threshold, recalled, precision, boxes in face_accuracy(face_detector, faces):
        print(f"| {threshold} | {recalled}/100 | {precision:.3f} | {boxes} |")
    every = confidences_on(face_detector, NO_FACE_PHOTOS, lambda f: f[4])
    print(f"faces on {len(NO_FACE_PHOTOS)} sample photos without a face: {len(every)} boxes, "
          f"{sum(c >= 0.5 for c in every)} at confidence >= 0.5 (highest {max(every, default=0):.2f})")
    text_detector = load("text_lines").Detector()
    lines = [c for _, c in text_detector.detect(rgb(skimage.data.page()))]
    print(f"text lines on `page` (7 lines): {sum(c >= 0.5 for c in lines)} at confidence >= 0.5 "
          f"({min(lines, default=0):.2f} to {max(lines, default=0):.2f}), {len(lines)} in all")
    every = confidences_on(text_detector, NO_FACE_PHOTOS[:4] + ["astronaut"], lambda f: f[1])
    print(f"text lines on coffee, chelsea, rocket, camera, astronaut: {len(every)} lines, "
          f"{sum(c >= 0.5 for c in every)} at confidence >= 0.5")
    with tempfile.TemporaryDirectory() as scratch:
        for name, photo, sizes in [("faces", "astronaut", [(256, 256), (512, 512), (1024, 1024)]),
                                   ("text_lines", "page", [(384, 191), (768, 382), (1536, 764)])]:
            for size in sizes:
                rate = throughput(name, photo, size, args.requests, Path(scratch))
                print(f"throughput {name}, {photo} {size[0]} x {size[1]}: {rate:.1f} images/s "
                      f"(one process, {args.requests} requests pipelined)", flush=True)


if __name__ == "__main__":
    main()
