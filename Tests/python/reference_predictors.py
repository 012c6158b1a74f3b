"""What the reference predictors' tests share: loading one as a module, asking one over
its protocol, and a region project run by the built daemon through the files."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from test_assist import once, pages_in, read

PREDICTORS = Path(__file__).resolve().parents[2] / "predictors"


def load(name):
    """predictors/NAME.py as a module."""
    spec = importlib.util.spec_from_file_location(f"{name}_predictor", PREDICTORS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rgb(array):
    """A scikit-image sample (grey, RGB or RGBA; uint8 or floats in 0..1) as RGB uint8."""
    if array.ndim == 2:
        array = np.stack([array] * 3, axis=-1)
    if array.dtype != np.uint8:
        array = (np.clip(array, 0, 1) * 255).astype(np.uint8)
    return np.ascontiguousarray(array[..., :3])


def sample_photos(folder, names):
    """scikit-image's sample photos `names` as PNG files in `folder`: name -> path."""
    import skimage.data
    from PIL import Image

    paths = {}
    for name in names:
        paths[name] = Path(folder) / f"{name}.png"
        Image.fromarray(getattr(skimage.data, name)()).save(paths[name])
    return paths


class Serving:
    """predictors/NAME.py serving on pipes; `ask` sends one request (a dict, or raw bytes) and
    reads its answer line."""

    def __init__(self, name):
        self.process = subprocess.Popen([sys.executable, str(PREDICTORS / f"{name}.py")], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def ask(self, request):
        line = request if isinstance(request, bytes) else json.dumps(request).encode()
        self.process.stdin.write(line + b"\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self):
        """Ends its input; returns its exit status."""
        self.process.stdin.close()
        status = self.process.wait(timeout=60)
        self.process.stdout.close()
        self.process.stderr.close()
        return status


def command_of(name):
    """project.json's `predictor` for predictors/NAME.py."""
    return {"command": [sys.executable, str(PREDICTORS / f"{name}.py")], "timeout_seconds": 60, "min_confidence": 0.5}


def pages_with_predictions(root, predictor, task, tags, photos, rounds=20):
    """A `task` project with `predictor` (project.json's object), `photos` (file name -> path)
    renamed into its inbox, `watch --once` until every photo is on a page in labeler ann's
    folder; returns (file name -> the page.json image entry, the daemon's log)."""
    inbox = root / "Inbox" / "project"
    inbox.mkdir(parents=True)
    settings = {"task": task, "tags": tags, "page_size": 1, "pages_per_labeler": 10, "flush_seconds": 0,
                "predictor": predictor, "assist": {"queue_pages": 2, "cluster": False}}
    (inbox / "project.json").write_text(json.dumps(settings))
    for file, path in photos.items():
        temp = inbox / f".{file}.part"
        temp.write_bytes(Path(path).read_bytes())
        temp.rename(inbox / file)
    folder = root / "Watch" / "project" / "labelers" / "ann"
    folder.mkdir(parents=True)
    seen, log = {}, ""
    for _ in range(rounds):
        log += once(root)
        for page in pages_in(folder):
            for image in read(page)["images"]:
                seen[image["source"]] = image
        if len(seen) == len(photos):
            break
    assert set(seen) == set(photos), seen
    return seen, log
