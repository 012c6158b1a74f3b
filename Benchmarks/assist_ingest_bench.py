#!/usr/bin/env python3
"""ML assist off the ingest path: `labelmill watch` (inotify) takes the same
images with `assist` off and on, alternating, on fresh workspaces.

    .venv/bin/python Benchmarks/assist_ingest_bench.py [--images 1797] [--repeat 3] [--bin PATH] [--embedder predictor]

Each run starts `labelmill watch` on a new root, waits until it has made its
folders, then renames --images finished PNGs (scikit-learn's digits, 32 x 32,
written beforehand on the same file system) into the inbox at once, the way
rsync finishes its files. Ingest time: from the first rename until the inbox
holds no image (each one taken: into a page without assist, into the pool
with it). With assist on, embedding throughput: images embedded (lines in
.labelmill/assist/<project>/embeddings.log) over the time from the first
rename until the last line. Prints the median of each and the ratio on/off.

`--embedder predictor`: assist uses the reference predictor
(predictors/efficientnet_lite0.py, EfficientNet-Lite0 on ONNX Runtime) through
the daemon's predictor client. The images paged while it starts (at most
`queue_pages` pages, each image waiting 3 s at most) are paged without an
embedding, so throughput counts the lines written, up to the last one (none
for 15 s ends the wait).
"""
import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def images_in(inbox):
    return sum(1 for p in inbox.iterdir() if p.suffix == ".png")


def embedded_lines(root):
    """Lines in the project's embeddings logs (builtin or predictor: one of them is written)."""
    folder = root / ".labelmill" / "assist" / "digits"
    return sum(p.read_bytes().count(b"\n") for p in folder.glob("embeddings*.log")) if folder.exists() else 0


def run(binary, staging, names, scratch, assist, embedder):
    root = Path(tempfile.mkdtemp(dir=scratch, prefix="assist-on-" if assist else "assist-off-"))
    inbox = root / "Inbox" / "digits"
    inbox.mkdir(parents=True)
    settings = {"task": "multi-class", "tags": [str(d) for d in range(10)], "page_size": 4, "flush_seconds": 0}
    if assist:
        settings["assist"] = {"queue_pages": 20}
        if embedder == "predictor":
            settings["assist"]["embedder"] = "predictor"
            settings["predictor"] = {"command": [sys.executable, str(REPO / "predictors" / "efficientnet_lite0.py")]}
    (inbox / "project.json").write_text(json.dumps(settings))
    # The images, copied beside the inbox on the same file system: a rename each, as rsync finishes.
    source = root / "incoming"
    shutil.copytree(staging, source)
    daemon = subprocess.Popen([binary, "watch", "--root", str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (root / "Watch" / "digits" / "queue").exists():
            if time.monotonic() > deadline:
                raise SystemExit("the daemon did not make its folders within 60 s")
            time.sleep(0.02)
        time.sleep(0.5)
        start = time.perf_counter()
        for name in names:
            os.rename(source / name, inbox / name)
        while images_in(inbox) > 0:
            time.sleep(0.005)
        ingest = time.perf_counter() - start
        embed = None
        lines = 0
        if assist:
            deadline = time.monotonic() + 600
            last = (0, time.perf_counter())
            while True:
                lines = embedded_lines(root)
                now = time.perf_counter()
                if lines > last[0]:
                    last = (lines, now)
                if lines >= len(names) or (embedder == "predictor" and lines and now - last[1] > 15):
                    embed = last[1] - start
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(f"only {lines} of {len(names)} images embedded in 600 s")
                time.sleep(0.01)
        return ingest, embed, lines
    finally:
        daemon.terminate()
        daemon.wait()
        shutil.rmtree(root, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=1797, help="at most 1,797 (the digits there are)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--bin", default=str(REPO / ".build" / "release" / "labelmill"))
    ap.add_argument("--scratch", default=None)
    ap.add_argument("--embedder", choices=["builtin", "predictor"], default="builtin")
    args = ap.parse_args()
    scratch = Path(args.scratch or tempfile.mkdtemp(prefix="assist-bench-"))
    staging = scratch / "digits"
    truth = scratch / "truth.csv"
    if not staging.exists():
        subprocess.run([sys.executable, str(REPO / "scripts" / "make-digits.py"), "--out", str(staging), "--truth", str(truth),
                        "--count", str(args.images), "--shuffle", "7"], check=True)
    with open(truth) as f:
        names = [row["file"] for row in csv.DictReader(f)][:args.images]
    off, on, embed, counts = [], [], [], []
    for i in range(args.repeat):
        for assist in (False, True):
            ingest, embedded, lines = run(args.bin, staging, names, scratch, assist, args.embedder)
            (on if assist else off).append(ingest)
            if embedded:
                embed.append(embedded)
                counts.append(lines)
            print(f"run {i + 1} assist {'on ' if assist else 'off'}: ingest {len(names) / ingest:,.0f} images/s"
                  + (f", {lines} embedded after {embedded:.2f} s ({lines / embedded:,.0f} images/s)" if embedded else ""), flush=True)
    m_off, m_on, m_embed = statistics.median(off), statistics.median(on), statistics.median(embed)
    print(f"\n{len(names)} images, median of {args.repeat}:")
    print(f"  ingest, assist off: {len(names) / m_off:,.0f} images/s ({m_off:.3f} s)")
    print(f"  ingest, assist on:  {len(names) / m_on:,.0f} images/s ({m_on:.3f} s)")
    print(f"  on / off speed:     {m_off / m_on:.2f}")
    rate = statistics.median(c / e for c, e in zip(counts, embed))
    where = "background thread at nice 19" if args.embedder == "builtin" else "EfficientNet-Lite0 through the predictor client"
    print(f"  embedding ({args.embedder}, {where}): {rate:,.0f} images/s, {statistics.median(counts):,.0f} images"
          f" embedded after {m_embed:.2f} s")
    shutil.rmtree(scratch / "digits", ignore_errors=True)


if __name__ == "__main__":
    main()
