#!/usr/bin/env python3
"""Huge page benchmark: the daemon rejecting one large polygon page.

    python3 Benchmarks/huge_page_bench.py [--polygons 60] [--points 10000] [--bin PATH]

Makes a polygon project with one 2000x2000 image, signs a labeler in, writes
the page with POLYGONS circles of POINTS points each on one line (about
11 MB for the defaults, the size of the page in issue 11), one of them with an
unknown tag, submits it, and runs `labelmill watch --once` under
`/usr/bin/time -v`. Prints the page.json size before and after the rejection
(which must stay under 16 MiB, so `check` and a resubmission can read it) and
the daemon's wall time and peak RSS.
"""
import argparse
import json
import math
import os
import re
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def png(width, height):
    row = b"\x00" + bytes(3 * width)
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b"")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--polygons", type=int, default=60)
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--bin", default=str(REPO / ".build/release/labelmill"))
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="labelmill-huge-"))
    run = lambda *a: subprocess.run([args.bin, *a, "--root", str(root)], check=True, capture_output=True, text=True)
    run("project", "create", "p", "--task", "polygon", "--tags", "A,B", "--page-size", "1")
    (root / "Inbox/p/big.png").write_bytes(png(2000, 2000))
    run("watch", "--once")
    folder = Path(run("next", "p", "--as", "ann").stdout.strip())
    page = json.loads((folder / "page.json").read_text())
    regions = []
    for k in range(args.polygons):
        r = 50 + k * 15
        points = [[round(1000 + r * math.cos(2 * math.pi * i / args.points), 3),
                   round(1000 + r * math.sin(2 * math.pi * i / args.points), 3)] for i in range(args.points)]
        regions.append({"tag": "Nope" if k == 0 else "A", "polygon": points})
    page["images"][0]["regions"] = regions
    page["status"] = "submitted"
    (folder / "page.json").write_text(json.dumps(page, separators=(",", ":")))
    before = os.path.getsize(folder / "page.json")
    timed = subprocess.run(["/usr/bin/time", "-v", args.bin, "watch", "--once", "--root", str(root)],
                           capture_output=True, text=True)
    after = os.path.getsize(folder / "page.json")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", timed.stderr).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", timed.stderr).group(1)
    status = json.loads((folder / "page.json").read_text())["status"]
    print(f"page.json {before / 1e6:.2f} MB -> {after / 1e6:.2f} MB (limit {16 << 20} bytes), status {status}; "
          f"watch --once: wall {wall}, peak RSS {rss / 1024:.0f} MiB")
    subprocess.run(["rm", "-rf", str(root)])


if __name__ == "__main__":
    main()
