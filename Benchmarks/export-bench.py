#!/usr/bin/env python3
"""Benchmark of `labelmill export`: time and peak memory on a large outbox.

Synthesizes a workspace whose outbox holds N completed images (default 100,000,
4 per page), the images hard links of a few tiny PNGs, then exports it in every
format under `/usr/bin/time -v` and prints a Markdown table.

    swift build -c release --product labelmill
    python3 Benchmarks/export-bench.py                 # 100,000 images, bbox
    python3 Benchmarks/export-bench.py --task polygon --images 20000

Needs GNU time (`apt-get install time`). Uses only the standard library.
"""

import argparse
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FORMATS = ["coco", "voc", "yolo", "labelme", "azureml", "csv"]
TAGS = ["car", "truck", "bus", "bicycle", "motorcycle", "person", "dog", "cat", "traffic light", "stop sign"]
SOURCES = 200  # distinct image files; each outbox image is a hard link of one (ext4 allows 65,000 links)


def png(width, height, shade):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes([shade]) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def regions(rng, task, width, height):
    out = []
    for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 3, 4, 5, 6])):
        tag = rng.choice(TAGS)
        w, h = rng.uniform(4, width / 2), rng.uniform(4, height / 2)
        x, y = rng.uniform(0, width - w), rng.uniform(0, height - h)
        x, y, w, h = (round(v, 2) for v in (x, y, w, h))
        if task == "bbox":
            out.append({"tag": tag, "box": {"x": x, "y": y, "width": w, "height": h}})
        else:
            out.append({"tag": tag, "polygon": [[x, y], [x + w, y + h / 3], [x + w / 2, y + h], [x, y + h / 2]]})
    return out


def synthesize(root, task, count, page_size):
    rng = random.Random(7)
    width, height = 64, 48
    sources = root / ".sources"
    sources.mkdir(parents=True)
    for i in range(SOURCES):
        (sources / f"{i}.png").write_bytes(png(width, height, i % 256))
    (root / "Inbox" / "bench").mkdir(parents=True)
    (root / "Inbox" / "bench" / "project.json").write_text(json.dumps({"task": task, "tags": TAGS}))
    outbox = root / "Outbox" / "bench"
    outbox.mkdir(parents=True)
    n = 0
    page_number = 0
    while n < count:
        page_number += 1
        page = f"page-{page_number:06d}"
        folder = outbox / page
        folder.mkdir()
        images = []
        for _ in range(min(page_size, count - n)):
            # Every 100th image has a name another page also uses, so names clash.
            file = "photo.png" if n % 100 == 0 else f"img-{n:06d}.png"
            os.link(sources / f"{n % SOURCES}.png", folder / file)
            images.append({"file": file, "width": width, "height": height, "source": f"batch/{file}",
                           "sha256": f"{n:064x}", "regions": regions(rng, task, width, height)})
            n += 1
        manifest = {"$schema": "../../../Watch/page.schema.json", "project": "bench", "page": page,
                    "revision": 2, "task": task, "tags": TAGS, "status": "done", "images": images}
        (folder / "page.json").write_text(json.dumps(manifest, indent=2))
    (outbox / "rejected").mkdir()
    (outbox / "events.jsonl").write_text("")
    return page_number


def measure(binary, root, fmt, images):
    out = root / "exports" / f"{fmt}-{images}"
    cmd = ["/usr/bin/time", "-v", binary, "export", "bench", "--root", str(root),
           "--format", fmt, "--out", str(out), "--images", images]
    os.sync()  # start each run with no dirty pages left by the one before
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"export failed: {' '.join(cmd)}\n{result.stderr}")
    user = float(re.search(r"User time \(seconds\): (\S+)", result.stderr).group(1))
    system = float(re.search(r"System time \(seconds\): (\S+)", result.stderr).group(1))
    rss_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", result.stderr).group(1)
    seconds = sum(float(part) * 60 ** i for i, part in enumerate(reversed(wall.split(":"))))
    files = sum(len(f) for _, _, f in os.walk(out))
    label_bytes = sum((Path(d) / f).stat().st_size for d, _, fs in os.walk(out) for f in fs
                      if not f.endswith(".png"))
    shutil.rmtree(out)
    return seconds, user, system, rss_kib / 1024, files, label_bytes / 2**20, result.stdout.strip()


def file_creation_baseline(root, count):
    """Seconds this file system takes to create `count` small files in one folder:
    the floor for formats that write one label file per image."""
    folder = root / "baseline"
    folder.mkdir()
    os.sync()
    started = time.time()
    for i in range(count):
        fd = os.open(folder / f"{i:06d}.txt", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, b"0 0.5 0.5 0.1 0.1\n")
        os.close(fd)
    seconds = time.time() - started
    shutil.rmtree(folder)
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=100_000, help="completed images in the outbox")
    parser.add_argument("--page-size", type=int, default=4)
    parser.add_argument("--task", choices=["bbox", "polygon"], default="bbox")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--modes", default="link,none", help="--images modes to time")
    parser.add_argument("--bin", default=str(REPO / ".build" / "release" / "labelmill"))
    parser.add_argument("--dir", help="work folder (default: a new temporary folder, removed after)")
    args = parser.parse_args()

    if not Path("/usr/bin/time").exists():
        sys.exit("needs GNU time: apt-get install time")
    root = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="labelmill-export-bench-"))
    try:
        started = time.time()
        pages = synthesize(root, args.task, args.images, args.page_size)
        print(f"synthesized {args.images} images on {pages} pages ({args.task}) in {time.time() - started:.1f} s",
              file=sys.stderr)
        print(f"| format | --images | wall (s) | user CPU (s) | system CPU (s) | peak RSS (MiB) | files written | label data (MiB) |")
        print(f"|---|---|---:|---:|---:|---:|---:|---:|")
        for fmt in args.formats.split(","):
            for mode in args.modes.split(","):
                seconds, user, system, rss, files, mib, summary = measure(args.bin, root, fmt, mode)
                print(f"| {fmt} | {mode} | {seconds:.2f} | {user:.2f} | {system:.2f} | {rss:.1f} | {files} | {mib:.1f} |",
                      flush=True)
                print(f"  {summary}", file=sys.stderr)
        baseline = file_creation_baseline(root, args.images)
        print(f"\nBaseline: Python creates {args.images} small files in one folder here in {baseline:.2f} s.")
    finally:
        if not args.dir:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
