#!/usr/bin/env python3
"""A predictor that misbehaves on purpose, for the daemon's tests (SPEC section 8).

    fake_predictor.py MODE [--log FILE]

Every mode reads requests one JSON line at a time from stdin. The embedding it
gives is made from the image's bytes (8 values from a hash of the file), so
the same image always gets the same vector and different images differ.

Modes:
  good          answers every request
  crash-start   exits with status 3 before reading anything
  crash-after-N answers N requests, then exits with status 4
  hang          reads requests and never answers
  garbage       prints a line that is not JSON for every request
  wrong-id      answers with another request's id
  bad-vector    answers with an embedding holding a string
  short-vector  answers the first request with 8 values, the rest with 5
  refuse        answers {"id": N, "error": "..."}
  slow-S        answers every request after S seconds

`op: predict` (bbox and polygon projects) is answered in the modes that answer
(good, slow-S, wrong-id, crash-after-N) with regions made from the image's size
(see `regions`): two good ones, one below a confidence of 0.5, and ones that
must be dropped (outside the image, an unknown tag, a crossing polygon).

--log FILE appends one line per start ("start PID") and per request ("ask ID"),
so a test can count restarts and requests.
"""
import hashlib
import json
import sys
import time


def embedding(path):
    digest = hashlib.sha256(open(path, "rb").read()).digest()
    return [round(b / 255.0, 4) for b in digest[:8]]


def regions(request):
    """What the fake predictor proposes: the first two are valid and confident, the third valid but
    unsure (0.2), the rest invalid (outside the image, an unknown tag, a crossing outline)."""
    w, h, tags = request["width"], request["height"], request["tags"]
    if request.get("task") == "polygon":
        return [
            {"tag": tags[0], "polygon": [[1, 1], [w / 2, 1], [w / 4, h / 2]], "confidence": 0.9},
            {"tag": tags[-1], "polygon": [[w / 2, h / 2], [w - 1, h / 2], [w - 1, h - 1]], "confidence": 0.7},
            {"tag": tags[0], "polygon": [[0, h - 3], [3, h - 3], [0, h - 1]], "confidence": 0.2},
            {"tag": tags[0], "polygon": [[0, 0], [w / 2, h / 2], [w / 2, 0], [0, h / 2]], "confidence": 0.95},
            {"tag": "Nope", "polygon": [[1, 1], [5, 1], [3, 4]], "confidence": 0.95},
        ]
    return [
        {"tag": tags[0], "box": {"x": 1, "y": 1, "width": w / 2, "height": h / 2}, "confidence": 0.9},
        {"tag": tags[-1], "box": {"x": w / 2, "y": h / 2, "width": w / 4, "height": h / 4}, "confidence": 0.7},
        {"tag": tags[0], "box": {"x": 0, "y": 0, "width": 2, "height": 2}, "confidence": 0.2},
        {"tag": tags[0], "box": {"x": w - 2, "y": 0, "width": 10, "height": 5}, "confidence": 0.95},
        {"tag": "Nope", "box": {"x": 0, "y": 0, "width": 3, "height": 3}, "confidence": 0.95},
    ]


def main():
    mode = sys.argv[1]
    log = None
    if "--log" in sys.argv:
        log = open(sys.argv[sys.argv.index("--log") + 1], "a", buffering=1)
        log.write(f"start {__import__('os').getpid()}\n")
    if mode == "crash-start":
        sys.exit(3)
    answered = 0
    for line in sys.stdin:
        request = json.loads(line)
        rid = request["id"]
        if log:
            log.write(f"ask {rid}\n")
        if mode == "hang":
            continue
        if mode.startswith("crash-after-") and answered >= int(mode.rsplit("-", 1)[1]):
            sys.exit(4)
        if mode.startswith("slow-"):
            time.sleep(float(mode.split("-", 1)[1]))
        if mode == "garbage":
            out = "this is not JSON"
        elif request.get("op") == "predict":
            if mode == "refuse":
                out = json.dumps({"id": rid, "error": "this predictor refuses everything"})
            else:
                out = json.dumps({"id": rid + (1000 if mode == "wrong-id" else 0), "regions": regions(request)})
        elif mode == "wrong-id":
            out = json.dumps({"id": rid + 1000, "embedding": embedding(request["image"])})
        elif mode == "bad-vector":
            out = json.dumps({"id": rid, "embedding": [0.5, "x", 0.25]})
        elif mode == "short-vector":
            vector = embedding(request["image"])
            out = json.dumps({"id": rid, "embedding": vector if answered == 0 else vector[:5]})
        elif mode == "refuse":
            out = json.dumps({"id": rid, "error": "this predictor refuses everything"})
        else:
            out = json.dumps({"id": rid, "embedding": embedding(request["image"])})
        sys.stdout.write(out + "\n")
        sys.stdout.flush()
        answered += 1


if __name__ == "__main__":
    main()
