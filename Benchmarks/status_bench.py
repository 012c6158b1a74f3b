#!/usr/bin/env python3
"""Status benchmark: `labelmill status` on a workspace of 100,000 pages.

    python3 Benchmarks/status_bench.py [--pages 100000] [--repeat 7] [--bin PATH] [--dir DIR]

Builds the workspace directly (folders and small page.json files, no images,
no daemon), as the daemon would have left it: 60% of the pages queued, 10%
held by 500 labelers, 30% done, an events.jsonl with a line per image
ingested, per page made, assigned, submitted and done, and the daemon's
record of the project's tags. The workspace is kept in DIR (default: a
folder under /tmp named after the page count) and reused by later runs.
Then times `labelmill status` (text and --json) and prints the median.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TAGS = ["Cat", "Dog", "Bird"]


def page_json(pid, place, labeler=None):
    page = {"$schema": "../../../page.schema.json", "project": "p", "page": pid, "revision": 1,
            "task": "multi-class", "tags": TAGS, "status": "done" if place == "outbox" else "open"}
    if labeler:
        page["assigned_to"] = labeler
    page["images"] = [{"file": f"img{i}.png", "width": 32, "height": 32, "source": f"batch/{pid}-{i}.png",
                       "sha256": "0" * 64, "tags": ["Cat"] if place == "outbox" else None} for i in range(4)]
    return json.dumps(page, indent=2)


def stamp(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".000Z"


def build(root: Path, pages: int):
    (root / "Inbox/p").mkdir(parents=True)
    (root / "Inbox/p/project.json").write_text(json.dumps({"task": "multi-class", "tags": TAGS, "page_size": 4}))
    for i in range(100):
        (root / f"Inbox/p/waiting-{i}.png").write_bytes(b"\x89PNG")
    for d in ["Watch/p/queue", "Watch/p/labelers", "Watch/p/conflicts", "Outbox/p/rejected", ".labelmill/pages/p"]:
        (root / d).mkdir(parents=True)
    (root / "Watch/page.schema.json").write_text("{}")
    (root / ".labelmill/pages/p/classes.json").write_text(json.dumps({"task": "multi-class", "tags": TAGS, "used": ["Cat"]}))
    for i in range(50):
        (root / f"Outbox/p/rejected/bad-{i}.gif").write_bytes(b"GIF89a")
        (root / f"Outbox/p/rejected/bad-{i}.gif.reason.txt").write_text("not an image\n")
    now = time.time()
    queued, held = int(pages * 0.6), int(pages * 0.1)
    events = []
    for n in range(1, pages + 1):
        pid = f"page-{n:06d}"
        t = now - 7 * 86400 + n * 5
        for i in range(4):
            events.append({"time": stamp(t), "event": "ingested", "project": "p", "page": pid, "file": f"img{i}.png", "source": f"batch/{pid}-{i}.png"})
        events.append({"time": stamp(t), "event": "paged", "project": "p", "page": pid})
        if n <= queued:
            place, labeler, folder = "queue", None, root / "Watch/p/queue" / pid
        else:
            labeler = f"labeler{n % 500:03d}"
            if n <= queued + held:
                place, folder = "labeler", root / "Watch/p/labelers" / labeler / pid
            else:
                place, folder = "outbox", root / "Outbox/p" / pid
            events.append({"time": stamp(t + 60), "event": "assigned", "project": "p", "page": pid, "labeler": labeler})
            if place == "outbox":
                for kind in ["submitted", "done"]:
                    events.append({"time": stamp(t + 120), "event": kind, "project": "p", "page": pid, "labeler": labeler})
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "page.json").write_text(page_json(pid, place, labeler))
    with open(root / "Outbox/p/events.jsonl", "w") as f:
        for e in events:
            f.write(json.dumps(e, separators=(",", ":")) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--bin", default=str(REPO / ".build/release/labelmill"))
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    root = Path(args.dir or f"/tmp/labelmill-status-bench-{args.pages}")
    if not (root / "Outbox/p/events.jsonl").exists():
        print(f"building {args.pages:,} pages in {root} ...", file=sys.stderr)
        start = time.perf_counter()
        build(root, args.pages)
        print(f"built in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    for extra in [[], ["--json"]]:
        cmd = [args.bin, "status", "--root", str(root)] + extra
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout  # warm-up
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True)
            times.append(time.perf_counter() - start)
        print(f"labelmill status {' '.join(extra)}: median {statistics.median(times) * 1000:.0f} ms "
              f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}) over {args.repeat} runs, {args.pages:,} pages")
    print(out.splitlines()[0] if out else "", file=sys.stderr)


if __name__ == "__main__":
    main()
