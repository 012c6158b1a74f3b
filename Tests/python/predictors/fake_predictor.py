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
