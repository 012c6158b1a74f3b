#!/usr/bin/env python3
"""Builds a labelmill root of many paged images directly, as the daemon leaves it.

    python3 Benchmarks/synthetic_root.py DIR [--images 1000000] [--page-size 4]

No daemon runs: the layout `watch --once` writes for a project `bench`
(the latency benchmark's settings) is written by this script, which is far
faster than paging that many images: every image a different 2x2 PNG, kept
under `.labelmill/pages/bench/images/<sha256>` (mode 0444) and hard-linked
into its page folder in the queue, each page's page.json, the journal with
one line per page, classes.json, and events.jsonl with the `ingested` and
`paged` lines. `latency_bench.py --rss --synthetic` measures start-up and
peak RSS of `watch` on such a root.
"""
import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from latency_bench import png  # noqa: E402

PROJECT = "bench"
SETTINGS = {"task": "multi-class", "tags": ["A", "B"], "page_size": 4, "pages_per_labeler": 20,
            "lease_minutes": 600, "flush_seconds": 0.2}


def page_json(manifest):
    """page.json as the daemon writes it (two-space indent; the daemon reads any layout)."""
    return json.dumps(manifest, indent=2) + "\n"


def build(root: Path, images: int, page_size: int = 4, progress=True):
    """Writes the root; returns the number of pages."""
    settings = dict(SETTINGS, page_size=page_size)
    copies = root / ".labelmill" / "pages" / PROJECT
    kept = copies / "images"
    queue = root / "Watch" / PROJECT / "queue"
    for d in [root / "Inbox" / PROJECT, kept, root / ".labelmill" / "staging", queue, root / "Watch" / PROJECT / "labelers",
              root / "Watch" / PROJECT / "conflicts", root / "Outbox" / PROJECT / "rejected"]:
        d.mkdir(parents=True, exist_ok=True)
    (root / "Inbox" / PROJECT / "project.json").write_text(json.dumps(settings))
    (copies / "classes.json").write_text(json.dumps({"task": "multi-class", "tags": ["A", "B"], "used": []}, separators=(",", ":")))
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    pages = (images + page_size - 1) // page_size
    start = time.perf_counter()
    with open(copies / "journal.jsonl", "w") as journal, open(root / "Outbox" / PROJECT / "events.jsonl", "w") as events:
        for p in range(pages):
            pid = f"page-{p + 1:06d}"
            folder = queue / pid
            os.mkdir(folder)
            entries = []
            for i in range(p * page_size, min(images, (p + 1) * page_size)):
                data = png(i)
                sha = hashlib.sha256(data).hexdigest()
                name = f"i{i:07d}.png"
                target = kept / sha
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
                os.write(fd, data)
                os.close(fd)
                os.link(target, folder / name)
                source = f"b{i // 1000:04d}/{name}"
                entries.append({"file": name, "width": 2, "height": 2, "source": source, "sha256": sha, "tags": None})
                events.write(json.dumps({"time": stamp, "event": "ingested", "project": PROJECT, "page": pid, "file": name,
                                         "source": source}, separators=(",", ":")) + "\n")
            manifest = {"$schema": "../../../page.schema.json", "project": PROJECT, "page": pid, "revision": 1,
                        "task": "multi-class", "tags": ["A", "B"], "status": "open", "images": entries}
            (folder / "page.json").write_text(page_json(manifest))
            journal.write(json.dumps(manifest, separators=(",", ":")) + "\n")
            events.write(json.dumps({"time": stamp, "event": "paged", "project": PROJECT, "page": pid}, separators=(",", ":")) + "\n")
            if progress and (p + 1) % 25000 == 0:
                done = min(images, (p + 1) * page_size)
                print(f"  {done} images, {p + 1} pages, {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    return pages


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", help="where to build the root (must not exist)")
    ap.add_argument("--images", type=int, default=1_000_000)
    ap.add_argument("--page-size", type=int, default=4)
    args = ap.parse_args()
    root = Path(args.dir)
    if root.exists():
        sys.exit(f"{root} exists")
    start = time.perf_counter()
    pages = build(root, args.images, args.page_size)
    print(f"{args.images} images in {pages} pages written to {root} in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
