#!/usr/bin/env python3
"""The reference face predictor: OpenCV's Haar cascade, faces as boxes (or ovals).

    python predictors/faces.py                    # serve: SPEC section 8 on stdin/stdout
    python predictors/faces.py detect IMAGE...    # print the faces found, one line each

In a project.json:

    "predictor": {"command": [".venv/bin/python", "predictors/faces.py"], "min_confidence": 0.5}

The cascade is `haarcascade_frontalface_default.xml` (Viola-Jones, frontal faces)
as `opencv-python-headless` below version 5 ships it in `cv2/data`, else as
Debian's `opencv-data` package installs it. No model hub is reached.

Requests (SPEC section 8): `{"id": 7, "op": "predict", "image": "/abs/path.png",
"width": 512, "height": 512, "task": "bbox", "tags": ["Face", "Other"]}`. The
answer proposes every face found with the tag named "Face" (any case), else the
project's first tag: `{"id": 7, "regions": [{"tag": "Face", "box": {...},
"confidence": 0.91}]}`. Polygon projects get each face as a 16-point oval
inscribed in its box. Classification projects and `embed` get an error line.

Confidence. The cascade's own score for a face is the weight of its last
stage (detectMultiScale3 with outputRejectLevels); the predictor reports
1 / (1 + exp(-(weight - 3.5))). Measured with the settings below on
scikit-image's sample data: the 97 of lfw_subset's 100 faces it finds weigh
4.9 or more in nine cases out of ten (confidence >= 0.8); the 6 boxes it
finds on 19 sample photos without a face (coins, retina, moon, ...) weigh
1.9 to 3.5 (confidence <= 0.5). A project's `min_confidence` of 0.5 keeps
the first and drops the second.
"""
import argparse
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from predictor_protocol import region_main, region_request  # noqa: E402

CASCADE = "haarcascade_frontalface_default.xml"
DEBIAN_CASCADES = ["/usr/share/opencv4/haarcascades", "/usr/share/opencv/haarcascades"]
SCALE_FACTOR = 1.1  # each scale of the image pyramid 10% smaller than the last
MIN_NEIGHBORS = 5  # overlapping detections a face needs; 3 lets textures through (coins, retina)
MIN_FACE = 24  # pixels, at the scale the cascade sees (its window is 24x24)
MAX_SIDE = 1024  # larger images are searched at this size: faces under ~5% of the side are missed
WEIGHT_AT_HALF = 3.5  # the stage weight that maps to confidence 0.5 (see above)
MAX_FACES = 100
OVAL_POINTS = 16


def cascade_path(explicit=None):
    """The cascade file: `explicit`, else the one opencv-python ships, else Debian's."""
    if explicit:
        return Path(explicit)
    import cv2

    candidates = []
    data = getattr(cv2, "data", None)
    if data is not None:
        candidates.append(Path(data.haarcascades) / CASCADE)
    candidates += [Path(folder) / CASCADE for folder in DEBIAN_CASCADES]
    for path in candidates:
        if path.is_file():
            return path
    raise SystemExit(f"faces: no {CASCADE}: install opencv-python-headless<5 into the venv "
                     f"(bash scripts/setup does) or Debian's opencv-data; looked in "
                     + ", ".join(str(p.parent) for p in candidates))


class Detector:
    def __init__(self, cascade=None, threads=1):
        import cv2

        self.cv2 = cv2
        cv2.setNumThreads(threads)
        path = cascade_path(cascade)
        self.cascade = cv2.CascadeClassifier(str(path))
        if self.cascade.empty():
            raise SystemExit(f"faces: {path} is not a cascade OpenCV can load")
        self.path = path

    def detect(self, rgb):
        """Faces in an RGB uint8 array [h, w, 3] as (x, y, width, height, confidence), in the
        array's pixels, most confident first."""
        cv2 = self.cv2
        grey = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
        height, width = grey.shape
        scale = min(1.0, MAX_SIDE / max(height, width))
        if scale < 1.0:
            grey = cv2.resize(grey, (max(1, round(width * scale)), max(1, round(height * scale))),
                              interpolation=cv2.INTER_AREA)
        if min(grey.shape) < MIN_FACE:
            return []
        boxes, _levels, weights = self.cascade.detectMultiScale3(
            grey, scaleFactor=SCALE_FACTOR, minNeighbors=MIN_NEIGHBORS, minSize=(MIN_FACE, MIN_FACE),
            outputRejectLevels=True)
        faces = []
        for (x, y, w, h), weight in zip(np.asarray(boxes).reshape(-1, 4), np.ravel(weights)):
            confidence = 1.0 / (1.0 + math.exp(-(float(weight) - WEIGHT_AT_HALF)))
            faces.append((x / scale, y / scale, w / scale, h / scale, confidence))
        faces.sort(key=lambda face: -face[4])
        return faces[:MAX_FACES]


def face_tag(tags):
    return next((t for t in tags if t.lower() == "face"), tags[0])


def clipped_box(x, y, w, h, width, height):
    left, top = max(0.0, x), max(0.0, y)
    right, bottom = min(float(width), x + w), min(float(height), y + h)
    return {"x": round(left, 1), "y": round(top, 1),
            "width": round(right - left, 1), "height": round(bottom - top, 1)}


def oval(box, width, height):
    """A convex 16-point oval inscribed in `box`, every point inside the image."""
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    rx, ry = box["width"] / 2, box["height"] / 2
    points = []
    for k in range(OVAL_POINTS):
        angle = 2 * math.pi * k / OVAL_POINTS
        px = min(max(cx + rx * math.cos(angle), 0.0), float(width))
        py = min(max(cy + ry * math.sin(angle), 0.0), float(height))
        points.append([round(px, 1), round(py, 1)])
    return points


def answerer(detector):
    def answer(request):
        task, tag, pixels, width, height = region_request(request, "face predictor", face_tag)
        regions = []
        for x, y, w, h, confidence in detector.detect(pixels):
            box = clipped_box(x, y, w, h, width, height)
            if box["width"] <= 0 or box["height"] <= 0:
                continue
            shape = {"box": box} if task == "bbox" else {"polygon": oval(box, width, height)}
            regions.append({"tag": tag, **shape, "confidence": round(confidence, 4)})
        return {"regions": regions}

    return answer


def main(argv=None):
    parser = argparse.ArgumentParser(description="Faces as boxes for labelmill (SPEC section 8), OpenCV's Haar cascade.")
    parser.add_argument("--cascade", help="a cascade XML file (default: OpenCV's %s)" % CASCADE)
    parser.add_argument("--threads", type=int, default=1, help="OpenCV threads (default 1: stay off the daemon's cores)")
    return region_main(parser, argv, "faces", lambda args: Detector(args.cascade, args.threads), answerer,
                       lambda found: [f"{x:.0f} {y:.0f} {w:.0f} {h:.0f} {c:.3f}" for x, y, w, h, c in found])


if __name__ == "__main__":
    sys.exit(main())
