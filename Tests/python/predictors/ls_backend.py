#!/usr/bin/env python3
"""A real Label Studio ML backend, built with the `label-studio-ml` package, for the daemon's tests.

    python ls_backend.py PORT MODE

Label Studio's own server code (label_studio_ml.api: Flask, /health, /setup,
/predict) runs a LabelStudioMLBase model. It fetches each task's image the way
every backend does, `self.get_local_path(url)` (an HTTP download from the
daemon's image server), and answers by MODE:

- faces:  the reference face detector (predictors/faces.py) on the image, as
          RectangleLabels in percent with a score, the label from the config;
- shapes: a fixed rectangle and a polygon, and what SPEC section 3 refuses
          (a box past the image's edge, an unknown label, a rotated box in a
          bbox project, a polygon in a bbox project, a region without a score,
          a crossing polygon), so the daemon must keep only the good ones;
- error:  /predict raises (HTTP 500);
- slow:   /predict sleeps 30 s before answering.

Every request the backend receives is appended to $LS_BACKEND_LOG as a JSON line.
"""
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "predictors"))

from label_studio_ml.api import init_app  # noqa: E402
from label_studio_ml.model import LabelStudioMLBase  # noqa: E402

MODE = sys.argv[2] if len(sys.argv) > 2 else "faces"
LOG = os.environ.get("LS_BACKEND_LOG")


def note(kind, **fields):
    if LOG:
        with open(LOG, "a") as out:
            out.write(json.dumps({"kind": kind, **fields}) + "\n")


class Model(LabelStudioMLBase):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # The labeling config as Label Studio parses it: the one RectangleLabels / PolygonLabels control.
        self.from_name, info = next(iter(self.parsed_label_config.items()))
        self.to_name = info["to_name"][0]
        self.control = info["type"].lower()
        self.labels = info["labels"]
        note("setup", control=self.control, labels=self.labels, hostname=self.hostname)
        self.detector = None
        if MODE == "faces":
            import faces

            self.detector = faces.Detector()

    def predict(self, tasks, **kwargs):
        predictions = []
        for task in tasks:
            path = self.get_local_path(task["data"]["image"])
            with Image.open(path) as img:
                img.load()
                width, height = img.size
                pixels = np.asarray(img.convert("RGB"))
            note("predict", url=task["data"]["image"], width=width, height=height)
            if MODE == "error":
                raise RuntimeError("the model is broken")
            if MODE == "slow":
                time.sleep(30)
            results = self.faces(pixels, width, height) if MODE == "faces" else self.shapes()
            predictions.append({"result": results, "score": 0.8, "model_version": f"ls-{MODE}"})
        return predictions

    def region(self, kind, value, score=None):
        item = {"from_name": self.from_name, "to_name": self.to_name, "type": kind, "value": value}
        if score is not None:
            item["score"] = score
        return item

    def faces(self, pixels, width, height):
        label = next((l for l in self.labels if l.lower() == "face"), self.labels[0])
        out = []
        for x, y, w, h, confidence in self.detector.detect(pixels):
            out.append(self.region("rectanglelabels", {
                "x": 100 * x / width, "y": 100 * y / height, "width": 100 * w / width, "height": 100 * h / height,
                "rotation": 0, "rectanglelabels": [label]}, confidence))
        return out

    def shapes(self):
        first = self.labels[0]
        if self.control == "polygonlabels":
            return [
                self.region("polygonlabels", {"points": [[10, 10], [50, 10], [30, 40]], "polygonlabels": [first]}, 0.9),
                self.region("rectanglelabels", {"x": 50, "y": 50, "width": 20, "height": 10, "rotation": 90,
                                                "rectanglelabels": [first]}, 0.85),
                self.region("polygonlabels", {"points": [[0, 0], [50, 50], [50, 0], [0, 50]], "polygonlabels": [first]}, 0.9),
                self.region("polygonlabels", {"points": [[10, 10], [120, 10], [30, 40]], "polygonlabels": [first]}, 0.9),
            ]
        return [
            self.region("rectanglelabels", {"x": 25, "y": 25, "width": 50, "height": 50, "rotation": 0,
                                            "rectanglelabels": [first]}, 0.9),
            self.region("rectanglelabels", {"x": 0, "y": 0, "width": 100, "height": 100, "rotation": 0,
                                            "rectanglelabels": [self.labels[-1]]}),  # the prediction's score, 0.8
            self.region("rectanglelabels", {"x": 80, "y": 10, "width": 30, "height": 10, "rotation": 0,
                                            "rectanglelabels": [first]}, 0.9),  # past the right edge
            self.region("rectanglelabels", {"x": 10, "y": 10, "width": 10, "height": 10, "rotation": 0,
                                            "rectanglelabels": ["Unicorn"]}, 0.9),
            self.region("rectanglelabels", {"x": 10, "y": 10, "width": 10, "height": 10, "rotation": 30,
                                            "rectanglelabels": [first]}, 0.9),
            self.region("polygonlabels", {"points": [[10, 10], [50, 10], [30, 40]], "polygonlabels": [first]}, 0.9),
            self.region("choices", {"choices": [first]}, 0.9),
        ]


if __name__ == "__main__":
    app = init_app(model_class=Model, model_dir=os.environ.get("LS_BACKEND_DIR", "."))
    app.run(host="127.0.0.1", port=int(sys.argv[1]), debug=False, threaded=False)
