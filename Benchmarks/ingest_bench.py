#!/usr/bin/env python3
"""Ingest benchmark: `labelmill watch --once` against a naive script doing the
same job and against the floor (read each file, rename it), in one run, on
the same freshly written inbox each time.

    python3 Benchmarks/ingest_bench.py [--images 3000] [--repeat 3] [--bin PATH]
    python3 Benchmarks/ingest_bench.py --fresh-ext4                        # on a new ext4 (root)
    python3 Benchmarks/ingest_bench.py --images 100000 --rss              # peak RSS

--fresh-ext4 makes a new ext4 file system in a loop-mounted image file for the
run (needs root): ext4's inode allocator skips inodes freed in the last 30 s,
so on a disk that other work keeps churning, every tool that creates files
pays for what ran before it. A fresh file system makes runs repeatable.

Prints images/s for each, and the ratios labelmill/script and labelmill/floor.
"""
import argparse
import hashlib
import json
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def png(seed, size=32):
    rows = b"".join(
        b"\x00" + b"".join(bytes(((x * 7 + seed) & 255, (y * 5 + (seed >> 16) * 37) & 255, (seed >> 8) & 255))
                            for x in range(size))
        for y in range(size))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))


def make_inbox(root, images, originals):
    inbox = root / "Inbox" / "bench"
    inbox.mkdir(parents=True)
    (inbox / "project.json").write_text(json.dumps({"task": "multi-class", "tags": ["A", "B"], "page_size": 4}))
    for i, data in enumerate(originals[:images]):
        sub = inbox / f"batch{i % 10}"
        sub.mkdir(exist_ok=True)
        (sub / f"img{i:06d}.png").write_bytes(data)
    return inbox


def naive_script(root):
    """What a careful script would do: verify each PNG (CRCs, inflate), hash,
    rename into page folders, one fsynced JSON per page."""
    inbox = root / "Inbox" / "bench"
    files = sorted(p for p in inbox.rglob("*.png"))
    out = root / "Watch" / "bench" / "queue"
    out.mkdir(parents=True)
    page, entries = 1, []

    def flush():
        nonlocal page, entries
        folder = out / f"page-{page:06d}"
        folder.mkdir()
        for src, entry in entries:
            os.rename(src, folder / entry["file"])
        with open(folder / "page.json", "w") as f:
            json.dump({"page": f"page-{page:06d}", "images": [e for _, e in entries]}, f, indent=2)
            f.flush()
            os.fsync(f.fileno())
        page, entries = page + 1, []

    for path in files:
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        pos, idat, width, height = 8, b"", 0, 0
        while pos < len(data):
            length, kind = struct.unpack(">I4s", data[pos:pos + 8])
            body = data[pos + 8:pos + 8 + length]
            (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
            assert zlib.crc32(kind + body) == crc
            if kind == b"IHDR":
                width, height = struct.unpack(">II", body[:8])
            elif kind == b"IDAT":
                idat += body
            pos += 12 + length
            if kind == b"IEND":
                break
        zlib.decompress(idat)
        entries.append((path, {"file": path.name, "width": width, "height": height,
                               "sha256": hashlib.sha256(data).hexdigest(), "tags": None}))
        if len(entries) == 4:
            flush()
    if entries:
        flush()


def floor(root):
    """The least any tool must do: read each file and rename it."""
    inbox = root / "Inbox" / "bench"
    out = root / "out"
    out.mkdir()
    for path in sorted(inbox.rglob("*.png")):
        path.read_bytes()
        os.rename(path, out / path.name)


def peak_rss_kb(cmd):
    """Peak RSS of a command, from GNU time."""
    r = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")
    return int(r.stderr.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=3000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--bin", default=None)
    ap.add_argument("--rss", action="store_true", help="only measure labelmill's peak RSS")
    ap.add_argument("--scratch", default=None, help="folder for the workspaces (default: a temp folder)")
    ap.add_argument("--fresh-ext4", action="store_true", help="run on a new loop-mounted ext4 (needs root)")
    args = ap.parse_args()
    if args.fresh_ext4:
        with fresh_ext4() as mount:
            args.scratch = mount
            run(args)
    else:
        run(args)


class fresh_ext4:
    """A new 4 GiB ext4 in a sparse image file, mounted for the run."""

    def __enter__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="labelmill-ext4-"))
        self.image = self.dir / "fs.img"
        self.mount = self.dir / "mnt"
        self.mount.mkdir()
        subprocess.run(["truncate", "-s", "4G", str(self.image)], check=True)
        subprocess.run(["mkfs.ext4", "-q", "-F", str(self.image)], check=True)
        subprocess.run(["mount", "-o", "loop", str(self.image), str(self.mount)], check=True)
        return str(self.mount)

    def __exit__(self, *exc):
        subprocess.run(["umount", str(self.mount)])
        shutil.rmtree(self.dir, ignore_errors=True)


def run(args):
    binary = args.bin or subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=REPO,
                                        capture_output=True, text=True, check=True).stdout.strip() + "/labelmill"
    originals = [png(i) for i in range(args.images)]
    scratch = Path(tempfile.mkdtemp(prefix="labelmill-bench-", dir=args.scratch))
    try:
        if args.rss:
            root = scratch / "rss"
            make_inbox(root, args.images, originals)
            start = time.perf_counter()
            kb = peak_rss_kb([binary, "watch", "--once", "--root", str(root)])
            took = time.perf_counter() - start
            pages = len(list((root / "Watch" / "bench" / "queue").iterdir()))
            print(f"{args.images} images -> {pages} pages in {took:.1f} s ({args.images / took:.0f} images/s), peak RSS {kb / 1024:.1f} MB")
            return
        results = {"labelmill": [], "script": [], "floor": []}
        for rep in range(args.repeat):
            for name in results:
                root = scratch / f"{name}-{rep}"
                make_inbox(root, args.images, originals)
                subprocess.run(["sync"])
                start = time.perf_counter()
                if name == "labelmill":
                    subprocess.run([binary, "watch", "--once", "--root", str(root)], check=True,
                                   stderr=subprocess.DEVNULL)
                    assert len(list((root / "Watch" / "bench" / "queue").iterdir())) == (args.images + 3) // 4
                elif name == "script":
                    naive_script(root)
                else:
                    floor(root)
                results[name].append(args.images / (time.perf_counter() - start))
                # Folders are removed only at the end: ext4 skips inodes freed in the
                # last 30 s when allocating, which would slow whichever run came next.
        med = {k: statistics.median(v) for k, v in results.items()}
        for k, v in med.items():
            print(f"{k:10s} {v:9.0f} images/s   (runs: {', '.join(f'{x:.0f}' for x in results[k])})")
        print(f"labelmill / script = {med['labelmill'] / med['script']:.2f}x   (goal >= 3x)")
        print(f"labelmill / floor  = {med['labelmill'] / med['floor']:.2f}x   (goal >= 0.5x)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
