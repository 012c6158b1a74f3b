#!/usr/bin/env python3
"""The reference text predictor: PP-OCR's text detector on ONNX Runtime, text lines as polygons.

    python predictors/text_lines.py                   # serve: SPEC section 8 on stdin/stdout
    python predictors/text_lines.py detect IMAGE...   # print the lines found, one a line

In a project.json:

    "predictor": {"command": [".venv/bin/python", "predictors/text_lines.py"], "min_confidence": 0.5}

The models are PP-OCRv4's text detector (DBNet) and recognizer (CRNN, CTC),
Apache-2.0, as the PyPI package `rapidocr-onnxruntime` ships them in
`models/`; only those files are used (the package is installed without its
dependencies and never imported). No model hub is reached.

The detector gives each pixel a probability of being inside text. As PP-OCR's
own post-processing does (DBPostProcess): the map is thresholded at 0.3 and
dilated, each connected shape's minimum-area rectangle is kept when the mean
probability inside the shape (the confidence) is at least MIN_SCORE, and the
rectangle is grown by area * 1.6 / perimeter on every side (the model was
trained on shrunk text). The detector alone also fires on eyes, fur and
stripes (0.96 on scikit-image's cat), so each line is cut out upright and read
by the recognizer: the confidence is the detector's score times the mean
probability of the characters the recognizer reads (0 when it reads none).
On scikit-image's `page` the 7 lines score 0.84 to 0.93; on its cat and coffee
photos nothing reaches 0.3. Each line becomes a 4-point polygon (a rotated
rectangle) clipped to the image; bbox projects get its bounding box. The tag is
the project's tag named "Text", "Line" or "Text line" (any case), else its first.

Images: the shorter side scaled to 736 when smaller (as PP-OCR does), the longer
side then kept to MAX_SIDE, both rounded to multiples of 32; pixels in BGR order,
(value / 255 - 0.5) / 0.5.
"""
import argparse
import importlib.util
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from predictor_protocol import region_main, region_request  # noqa: E402

MODEL = "ch_PP-OCRv4_det_infer.onnx"
RECOGNIZER = "ch_PP-OCRv4_rec_infer.onnx"
REC_HEIGHT = 48  # the recognizer's input height
REC_MAX_WIDTH = 2000
MIN_SIDE = 736
MAX_SIDE = 2048
THRESHOLD = 0.3  # probability above which a pixel is text
MIN_SCORE = 0.3  # shapes below this mean probability are not reported at all
UNCLIP_RATIO = 1.6
MIN_RECT_SIDE = 3  # pixels of the probability map: smaller shapes are noise
MAX_LINES = 1000
TAG_NAMES = ("text", "line", "text line", "text_line", "textline")


def model_path(explicit=None, name=MODEL):
    if explicit:
        return Path(explicit)
    spec = importlib.util.find_spec("rapidocr_onnxruntime")  # finds the folder; runs none of its code
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("text_lines: rapidocr-onnxruntime is not installed: bash scripts/setup installs it "
                         "into the venv (pip install --no-deps rapidocr-onnxruntime==1.4.4)")
    path = Path(list(spec.submodule_search_locations)[0]) / "models" / name
    if not path.is_file():
        raise SystemExit(f"text_lines: {path} is missing: reinstall rapidocr-onnxruntime")
    return path


def clip_polygon(points, width, height):
    """The part of a convex polygon inside [0, width] x [0, height] (Sutherland-Hodgman),
    without repeated points; convex stays convex, so it never crosses itself."""
    edges = [(0, 0.0, 1), (0, float(width), -1), (1, 0.0, 1), (1, float(height), -1)]
    for axis, bound, sign in edges:
        inside = lambda p: sign * (p[axis] - bound) >= 0
        out = []
        for k, current in enumerate(points):
            previous = points[k - 1]
            if inside(current):
                if not inside(previous):
                    out.append(crossing(previous, current, axis, bound))
                out.append(current)
            elif inside(previous):
                out.append(crossing(previous, current, axis, bound))
        points = out
        if not points:
            return []
    rounded = []
    for x, y in points:
        point = [round(x, 1), round(y, 1)]
        if not rounded or point != rounded[-1]:
            rounded.append(point)
    if len(rounded) > 1 and rounded[0] == rounded[-1]:
        rounded.pop()
    return rounded


def crossing(a, b, axis, bound):
    t = (bound - a[axis]) / (b[axis] - a[axis])
    point = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]
    point[axis] = bound
    return point


def polygon_area(points):
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1]))) / 2


class Detector:
    def __init__(self, model=None, recognizer=None, threads=1):
        import cv2
        import onnxruntime as ort

        self.cv2 = cv2
        cv2.setNumThreads(threads)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.path = model_path(model)
        self.session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name
        self.recognizer = ort.InferenceSession(str(model_path(recognizer, RECOGNIZER)), options,
                                               providers=["CPUExecutionProvider"])
        self.rec_input = self.recognizer.get_inputs()[0].name

    def input_size(self, width, height):
        scale = max(1.0, MIN_SIDE / min(width, height))
        scale = min(scale, MAX_SIDE / max(width, height))
        return (max(32, int(round(width * scale / 32)) * 32), max(32, int(round(height * scale / 32)) * 32))

    def probability(self, rgb):
        """The text probability map of an RGB uint8 array, at the model's input size."""
        cv2 = self.cv2
        height, width = rgb.shape[:2]
        size = self.input_size(width, height)
        resized = cv2.resize(np.ascontiguousarray(rgb[..., ::-1]), size, interpolation=cv2.INTER_LINEAR)
        x = (resized.astype(np.float32) / 255.0 - 0.5) / 0.5
        return self.session.run(None, {self.input: x.transpose(2, 0, 1)[None]})[0][0, 0]

    def line_image(self, rgb, corners):
        """The rotated rectangle `corners` (4 points, image pixels) cut out and turned upright."""
        cv2 = self.cv2
        pts = np.asarray(corners, np.float32)
        sums, diffs = pts.sum(axis=1), pts[:, 1] - pts[:, 0]
        tl, br, tr, bl = pts[np.argmin(sums)], pts[np.argmax(sums)], pts[np.argmin(diffs)], pts[np.argmax(diffs)]
        w = max(1, int(round(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))))
        h = max(1, int(round(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))))
        target = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
        transform = cv2.getPerspectiveTransform(np.array([tl, tr, br, bl], np.float32), target)
        line = cv2.warpPerspective(rgb, transform, (w, h), borderMode=cv2.BORDER_REPLICATE)
        return np.ascontiguousarray(np.rot90(line)) if h > 1.5 * w else line

    def readable(self, line):
        """How sure the recognizer is that `line` holds characters: the mean probability of its
        characters (CTC steps not blank), 0 when it reads none."""
        cv2 = self.cv2
        h, w = line.shape[:2]
        width = max(8, min(REC_MAX_WIDTH, int(math.ceil(REC_HEIGHT * w / h))))
        x = cv2.resize(np.ascontiguousarray(line[..., ::-1]), (width, REC_HEIGHT)).astype(np.float32)
        x = (x / 255.0 - 0.5) / 0.5
        steps = self.recognizer.run(None, {self.rec_input: x.transpose(2, 0, 1)[None]})[0][0]
        best, sure = steps.argmax(axis=1), steps.max(axis=1)
        characters = best != 0  # class 0 is CTC's blank
        return float(sure[characters].mean()) if characters.any() else 0.0

    def detect(self, rgb):
        """Text lines in an RGB uint8 array [h, w, 3] as (4 points [[x, y], ...], confidence), in
        the array's pixels, top to bottom; each polygon clipped to the image."""
        cv2 = self.cv2
        height, width = rgb.shape[:2]
        if min(height, width) < 8:
            return []
        prob = self.probability(rgb)
        sx, sy = width / prob.shape[1], height / prob.shape[0]
        bitmap = cv2.dilate((prob > THRESHOLD).astype(np.uint8), np.ones((2, 2), np.uint8))
        contours, _ = cv2.findContours(bitmap, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        lines = []
        for contour in contours[:MAX_LINES * 4]:
            if len(contour) < 3:
                continue
            (cx, cy), (rw, rh), angle = cv2.minAreaRect(contour)
            if min(rw, rh) < MIN_RECT_SIDE:
                continue
            mask = np.zeros(bitmap.shape, np.uint8)
            cv2.fillPoly(mask, [contour], 1)
            score = float(prob[mask > 0].mean())
            if not math.isfinite(score) or score < MIN_SCORE:
                continue
            grow = rw * rh * UNCLIP_RATIO / (2 * (rw + rh))
            corners = [[float(px) * sx, float(py) * sy]
                       for px, py in cv2.boxPoints(((cx, cy), (rw + 2 * grow, rh + 2 * grow), angle))]
            points = clip_polygon(corners, width, height)
            if len(points) < 3 or polygon_area(points) < 1:
                continue
            confidence = score * self.readable(self.line_image(rgb, corners))
            if math.isfinite(confidence) and confidence >= MIN_SCORE:
                lines.append((points, min(1.0, confidence)))
        lines.sort(key=lambda line: (min(y for _, y in line[0]), min(x for x, _ in line[0])))
        return lines[:MAX_LINES]


def text_tag(tags):
    return next((t for t in tags if t.lower() in TAG_NAMES), tags[0])


def bounding_box(points):
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return {"x": min(xs), "y": min(ys), "width": round(max(xs) - min(xs), 1), "height": round(max(ys) - min(ys), 1)}


def answerer(detector):
    def answer(request):
        task, tag, pixels, _, _ = region_request(request, "text predictor", text_tag)
        regions = []
        for points, confidence in detector.detect(pixels):
            shape = {"polygon": points} if task == "polygon" else {"box": bounding_box(points)}
            regions.append({"tag": tag, **shape, "confidence": round(confidence, 4)})
        return {"regions": regions}

    return answer


def main(argv=None):
    parser = argparse.ArgumentParser(description="Text lines as polygons for labelmill (SPEC section 8), PP-OCRv4's detector.")
    parser.add_argument("--model", help=f"the detector's ONNX file (default: the {MODEL} rapidocr-onnxruntime ships)")
    parser.add_argument("--recognizer", help=f"the recognizer's ONNX file (default: the {RECOGNIZER} rapidocr-onnxruntime ships)")
    parser.add_argument("--threads", type=int, default=1, help="ONNX Runtime threads (default 1: stay off the daemon's cores)")
    return region_main(parser, argv, "text_lines", lambda args: Detector(args.model, args.recognizer, args.threads), answerer,
                       lambda found: [f"{c:.3f} " + " ".join(f"{x:.0f},{y:.0f}" for x, y in points) for points, c in found])


if __name__ == "__main__":
    sys.exit(main())
