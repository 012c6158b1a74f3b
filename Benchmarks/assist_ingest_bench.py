#!/usr/bin/env python3
"""ML assist off the ingest path: `labelmill watch` (inotify) takes the same
images with `assist` off and on, alternating, on fresh workspaces.

    .venv/bin/python Benchmarks/assist_ingest_bench.py [--images 1797] [--repeat 3] [--bin PATH]

Each run starts `labelmill watch` on a new root, waits until it has made its
folders, then renames --images finished PNGs (scikit-learn's digits, 32 x 32,
written beforehand on the same file system) into the inbox at once, the way
rsync finishes its files. Ingest time: from the first rename until the inbox
holds no image (each one taken: into a page without assist, into the pool
with it). With assist on, embedding throughput: images embedded (lines in
.labelmill/assist/<project>/embeddings.log) over the time from the first
rename until the last line. Prints the median of each and the ratio on/off.
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


def run(binary, staging, names, scratch, assist):
    root = Path(tempfile.mkdtemp(dir=scratch, prefix="assist-on-" if assist else "assist-off-"))
    inbox = root / "Inbox" / "digits"
    inbox.mkdir(parents=True)
    settings = {"task": "multi-class", "tags": [str(d) for d in range(10)], "page_size": 4, "flush_seconds": 0}
    if assist:
        settings["assist"] = {"queue_pages": 20}
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
        if assist:
            log = root / ".labelmill" / "assist" / "digits" / "embeddings.log"
            deadline = time.monotonic() + 600
            while True:
                lines = log.read_bytes().count(b"\n") if log.exists() else 0
                if lines >= len(names):
                    embed = time.perf_counter() - start
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(f"only {lines} of {len(names)} images embedded in 600 s")
                time.sleep(0.01)
        return ingest, embed
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
    args = ap.parse_args()
    scratch = Path(args.scratch or tempfile.mkdtemp(prefix="assist-bench-"))
    staging = scratch / "digits"
    truth = scratch / "truth.csv"
    if not staging.exists():
        subprocess.run([sys.executable, str(REPO / "scripts" / "make-digits.py"), "--out", str(staging), "--truth", str(truth),
                        "--count", str(args.images), "--shuffle", "7"], check=True)
    with open(truth) as f:
        names = [row["file"] for row in csv.DictReader(f)][:args.images]
    off, on, embed = [], [], []
    for i in range(args.repeat):
        for assist in (False, True):
            ingest, embedded = run(args.bin, staging, names, scratch, assist)
            (on if assist else off).append(ingest)
            if embedded:
                embed.append(embedded)
            print(f"run {i + 1} assist {'on ' if assist else 'off'}: ingest {len(names) / ingest:,.0f} images/s"
                  + (f", all embedded after {embedded:.2f} s ({len(names) / embedded:,.0f} images/s)" if embedded else ""), flush=True)
    m_off, m_on, m_embed = statistics.median(off), statistics.median(on), statistics.median(embed)
    print(f"\n{len(names)} images, median of {args.repeat}:")
    print(f"  ingest, assist off: {len(names) / m_off:,.0f} images/s ({m_off:.3f} s)")
    print(f"  ingest, assist on:  {len(names) / m_on:,.0f} images/s ({m_on:.3f} s)")
    print(f"  on / off speed:     {m_off / m_on:.2f}")
    print(f"  embedding (builtin, background thread at nice 19): {len(names) / m_embed:,.0f} images/s")
    shutil.rmtree(scratch / "digits", ignore_errors=True)


if __name__ == "__main__":
    main()
