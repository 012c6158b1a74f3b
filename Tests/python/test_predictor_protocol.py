"""The reference predictor through its protocol (SPEC section 8), as the daemon
talks to it: a subprocess fed JSON lines on stdin, answering one line each on
stdout, in order, with the request's id; errors for what it cannot do, and it
goes on after every one of them.
"""
import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image

PREDICTOR = Path(__file__).resolve().parents[2] / "predictors" / "efficientnet_lite0.py"

ANSWER_TIMEOUT = 60  # seconds for one answer on a busy machine; a hang fails the test instead of blocking it


class Predictor:
    def __init__(self, model, env=None):
        self.process = subprocess.Popen(
            [sys.executable, str(PREDICTOR), "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env={**os.environ, "LABELMILL_EFFICIENTNET_ONNX": str(model), **(env or {})})
        self.pending = b""

    def send(self, raw):
        self.process.stdin.write(raw if isinstance(raw, bytes) else raw.encode())
        self.process.stdin.flush()

    def read_answer(self):
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.process.stdout], [], [], max(left, 0))
            if not ready:
                raise AssertionError(f"no answer in {ANSWER_TIMEOUT} s")
            chunk = os.read(self.process.stdout.fileno(), 1 << 20)
            if not chunk:
                raise AssertionError(f"the predictor closed stdout (exit {self.process.poll()}): {self.stderr()}")
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return json.loads(line)

    def ask(self, request):
        self.send((request if isinstance(request, str) else json.dumps(request)) + "\n")
        return self.read_answer()

    def stderr(self):
        return self.process.stderr.read().decode(errors="replace") if self.process.poll() is not None else ""

    def close(self):
        self.process.stdin.close()
        code = self.process.wait(timeout=ANSWER_TIMEOUT)
        return code, self.process.stderr.read().decode(errors="replace")


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    paths = {}
    for name in ("coffee", "chelsea"):
        paths[name] = folder / f"{name}.png"
        Image.fromarray(getattr(skimage.data, name)()).save(paths[name])
    jpeg = folder / "coffee.jpg"
    Image.fromarray(skimage.data.coffee()).save(jpeg, quality=90)
    paths["coffee.jpg"] = jpeg
    (folder / "notes.png").write_text("not an image\n")
    paths["notes"] = folder / "notes.png"
    return paths


@pytest.fixture(scope="module")
def predictor(lite0_model):
    p = Predictor(lite0_model)
    yield p
    if p.process.poll() is None:
        p.process.kill()
        p.process.wait()


def embed(request_id, path, **extra):
    return {"id": request_id, "op": "embed", "image": str(path), "width": 600, "height": 400,
            "task": "classification", "tags": ["Cup", "Cat"], **extra}


def cosine(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_embed_answers_1280_numbers_with_the_id(predictor, photos, lite0, lite0_model):
    answer = predictor.ask(embed(7, photos["coffee"]))
    assert set(answer) == {"id", "embedding"} and answer["id"] == 7
    assert len(answer["embedding"]) == 1280 and all(isinstance(v, (int, float)) for v in answer["embedding"])
    direct, _ = lite0.Embedder(lite0_model).embed(str(photos["coffee"]))
    assert cosine(answer["embedding"], direct) > 0.99999


def test_logits_on_request_make_imagenet_sense(predictor, photos):
    answer = predictor.ask(embed("c-1", photos["coffee.jpg"], logits=True))
    assert answer["id"] == "c-1" and len(answer["logits"]) == 1000
    assert int(np.argmax(answer["logits"])) == 967  # espresso, from the JPEG too
    cat = predictor.ask(embed(8, photos["chelsea"], logits=True))
    assert int(np.argmax(cat["logits"])) in {281, 282, 283, 284, 285}
    assert cosine(answer["embedding"], cat["embedding"]) < 0.8


@pytest.mark.parametrize("line, want_id, words", [
    ("hello", None, "not JSON"),
    ('{"id": 9, "op": "embed", "image": ', 9, "not JSON"),
    ('{"id": "a\\"b", "op": "embed", "image": "/x.png",,}', 'a"b', "not JSON"),
    ("[1, 2]", None, "list"),
    ("42", None, "int"),
    ('{"op": "embed", "image": "/x.png"}', None, "no id"),
    ('{"id": [1], "op": "embed", "image": "/x.png"}', None, "id"),
    ('{"id": 10, "op": "predict", "image": "/x.png"}', 10, '"predict" is not supported'),
    ('{"id": 11, "image": "/x.png"}', 11, "null is not supported"),
    ('{"id": 12, "op": "embed"}', 12, "no image"),
    ('{"id": 13, "op": "embed", "image": 5}', 13, "no image"),
    ('{"id": 14, "op": "embed", "image": "relative/cat.png"}', 14, "not an absolute path"),
    ('{"id": 15, "op": "embed", "image": "/nonexistent/cat.png"}', 15, "/nonexistent/cat.png: no such file"),
    ('{"id": 16, "op": "embed", "image": "/"}', 16, "folder"),
])
def test_bad_requests_get_an_error_line_and_the_predictor_goes_on(predictor, photos, line, want_id, words):
    answer = predictor.ask(line)
    assert set(answer) == {"id", "error"} and answer["id"] == want_id, answer
    assert words in answer["error"], answer
    after = predictor.ask(embed(100, photos["chelsea"]))
    assert after["id"] == 100 and len(after["embedding"]) == 1280


def test_a_file_that_is_not_an_image_is_named(predictor, photos):
    answer = predictor.ask(embed(20, photos["notes"]))
    assert answer["id"] == 20 and str(photos["notes"]) in answer["error"] and "not an image" in answer["error"]


def test_bytes_that_are_not_utf8_and_a_huge_line(predictor, photos):
    predictor.send(b'{"id": 21, "op": "embed", "image": "/\xff\xfe.png"}\n')
    answer = predictor.read_answer()
    assert answer["id"] == 21 and "UTF-8" in answer["error"]
    predictor.send(b'{"id": 22, "pad": "' + b"x" * (3 << 20) + b'"}\n')
    answer = predictor.read_answer()
    assert answer["id"] == 22 and "longer than" in answer["error"]
    assert predictor.ask(embed(23, photos["coffee"]))["id"] == 23


def test_pipelined_requests_are_answered_in_order_and_blank_lines_skipped(predictor, photos):
    lines = [json.dumps(embed(30, photos["coffee"])), "", "garbage", "   ", json.dumps(embed(31, photos["chelsea"])),
             json.dumps({"id": 32, "op": "predict"}), json.dumps(embed(33, photos["coffee.jpg"]))]
    predictor.send("\n".join(lines) + "\n")
    answers = [predictor.read_answer() for _ in range(5)]
    assert [a["id"] for a in answers] == [30, None, 31, 32, 33]
    assert ["embedding" in a for a in answers] == [True, False, True, False, True]


def test_end_of_input_ends_it_cleanly(lite0_model, photos):
    p = Predictor(lite0_model)
    assert p.ask(embed(1, photos["coffee"]))["id"] == 1
    assert p.ask("not json")["id"] is None
    code, stderr = p.close()
    assert code == 0 and "Traceback" not in stderr


def test_a_missing_model_file_is_converted_at_start(tmp_path, photos):
    model = tmp_path / "sub" / "lite0.onnx"
    p = Predictor(model)
    try:
        answer = p.ask(embed(1, photos["coffee"]))
        assert len(answer["embedding"]) == 1280 and model.exists()
    finally:
        code, stderr = p.close()
    assert code == 0 and "wrote" in stderr
