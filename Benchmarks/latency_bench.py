#!/usr/bin/env python3
"""Latency benchmark of `labelmill watch` (inotify) with a large queue.

    python3 Benchmarks/latency_bench.py [--pages 100000] [--samples 100] [--bin PATH [--bin PATH2 ...]]
    python3 Benchmarks/latency_bench.py --images 1000000 --rss

With several --bin, each binary runs the whole benchmark in turn on a fresh
copy of the same cached root (built by the first), so "before" and "after"
are measured in one run; a summary table follows.

The queue is built once with `labelmill watch --once` on tiny PNGs (page size
1) and cached under --cache; each run copies the cached root, starts
`labelmill watch` on the copy and signs in one labeler who holds
--held pages. Then, one sample at a time:

- drop -> page: a finished PNG is written as rsync does (a hidden temp name
  in the inbox, then renamed to its own name), timed until its page.json is
  in the queue;
- submit -> outbox: a held page.json is replaced atomically (temp file +
  rename, as an editor saves) with a tag and "status": "submitted", timed
  until the page is in the outbox.

Then the daemon's CPU (from /proc/PID/stat) over --idle seconds of nothing,
and over --trickle seconds of one drop and one submission each second.

--rss: ingest --images PNGs (page size 4) with `watch --once`, reporting its
time and peak RSS, then start `watch` on the result and report the start-up
time (from exec until an image dropped right at the start is in a page) and
the daemon's peak RSS (/proc/PID/status VmHWM) after the trickle. With
--synthetic the root is written directly by synthetic_root.py instead (the
same layout, minutes instead of hours at 1,000,000 images); with --source DIR
a copy of a root synthetic_root.py wrote earlier, for several binaries.
"""
import argparse
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
TICK = os.sysconf("SC_CLK_TCK")


def png(seed):
    """A 2x2 RGB PNG whose pixels spell the seed: every seed a different image."""
    px = seed.to_bytes(6, "big")
    rows = b"\x00" + px + b"\x00" + bytes(reversed(px))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))


def binary_paths(args):
    if args.bin:
        return args.bin
    out = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout.strip()
    return [out + "/labelmill"]


def build_root(binary, root, images, page_size, held):
    """A root with `images` images paged by `watch --once`. Returns (seconds, peak RSS KB) of that run."""
    inbox = root / "Inbox" / "bench"
    inbox.mkdir(parents=True)
    (inbox / "project.json").write_text(json.dumps({
        "task": "multi-class", "tags": ["A", "B"], "page_size": page_size,
        "pages_per_labeler": held, "lease_minutes": 600, "flush_seconds": 0.2}))
    for i in range(images):
        sub = inbox / f"b{i // 1000:04d}"
        if i % 1000 == 0:
            sub.mkdir()
        (sub / f"i{i:07d}.png").write_bytes(png(i))
    start = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M", binary, "watch", "--once", "--root", str(root)],
                       capture_output=True, text=True)
    took = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit(f"watch --once failed:\n{r.stderr[-3000:]}")
    return took, int(r.stderr.strip().splitlines()[-1])


def cached_root(args, binary, images, page_size):
    """The cached root with `images` images paged, built on first use."""
    cache = Path(args.cache) / f"root-{images}-{page_size}"
    if not (cache / ".built").exists():
        shutil.rmtree(cache, ignore_errors=True)
        cache.parent.mkdir(parents=True, exist_ok=True)
        print(f"building {images} images into pages of {page_size} (cached in {cache}) ...", flush=True)
        took, kb = build_root(binary, cache, images, page_size, args.held)
        print(f"  watch --once: {took:.1f} s ({images / took:.0f} images/s), peak RSS {kb / 1024:.0f} MB", flush=True)
        (cache / ".built").write_text(json.dumps({"seconds": took, "rss_kb": kb}))
    return cache


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def peak_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def wait_for(path, timeout):
    """Polls for a path every 0.5 ms; the seconds it took, or None."""
    start = time.perf_counter()
    while not os.path.exists(path):
        if time.perf_counter() - start > timeout:
            return None
        time.sleep(0.0005)
    return time.perf_counter() - start


def wait_quiet(pid, seconds=2.0, limit=120):
    """Waits until the daemon used under 2% of a core over `seconds`, at most `limit` seconds."""
    start = time.time()
    while time.time() - start < limit:
        before = cpu_seconds(pid)
        time.sleep(seconds)
        used = (cpu_seconds(pid) - before) / seconds
        if used < 0.02:
            return
    print(f"  (the daemon did not go quiet in {limit} s: {used * 100:.0f}% of a core over the last {seconds:.0f} s; going on)", flush=True)


class Bench:
    def __init__(self, root, next_seed):
        self.root = root
        self.inbox = root / "Inbox" / "bench"
        self.queue = root / "Watch" / "bench" / "queue"
        self.labeler = root / "Watch" / "bench" / "labelers" / "ann"
        self.outbox = root / "Outbox" / "bench"
        self.seed = next_seed
        self.next_page = next_seed + 1
        self.page_size = 1

    def drop(self, timeout=30):
        """Drops one image the way rsync does; seconds until its page is in the queue."""
        data = png(self.seed)
        name = f"drop{self.seed:07d}.png"
        temp = self.inbox / f".{name}.Xq81Zt"
        with open(temp, "wb") as f:
            f.write(data)
        page = self.queue / f"page-{self.next_page:06d}" / "page.json"
        self.seed += 1
        self.next_page += 1
        os.rename(temp, self.inbox / name)
        start = time.perf_counter()
        took = wait_for(page, timeout)
        return None if took is None else time.perf_counter() - start

    def held(self):
        return sorted(p.name for p in self.labeler.iterdir() if p.name.startswith("page-"))

    def submit(self, timeout=30):
        """Hands in one held page as an editor saves; seconds until it is in the outbox."""
        for _ in range(3000):
            # A page already in the outbox is still listed here until the daemon removes its old folder.
            pages = [p for p in self.held() if not (self.outbox / p).exists()]
            if pages:
                break
            time.sleep(0.01)
        else:
            sys.exit("the labeler holds no page")
        page = pages[0]
        folder = self.labeler / page
        doc = json.loads((folder / "page.json").read_text())
        for image in doc["images"]:
            image["tags"] = ["A"]
        doc["status"] = "submitted"
        temp = folder / ".page.json.swp~"
        temp.write_text(json.dumps(doc, indent=2))
        os.rename(temp, folder / "page.json")
        start = time.perf_counter()
        took = wait_for(self.outbox / page / "page.json", timeout)
        return None if took is None else time.perf_counter() - start


def percentiles(values):
    ok = sorted(v for v in values if v is not None)
    if not ok:
        return None
    p = lambda q: ok[min(len(ok) - 1, int(q * len(ok)))] * 1000
    return p(0.5), p(0.99), ok[-1] * 1000


def summary(name, values):
    ok = [v for v in values if v is not None]
    missed = len(values) - len(ok)
    found = percentiles(values)
    if not found:
        return f"{name}: no sample arrived"
    p50, p99, top = found
    return (f"{name}: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {top:.1f} ms "
            f"({len(ok)} samples{f', {missed} timed out' if missed else ''})")


def start_daemon(binary, root, log):
    return subprocess.Popen([binary, "watch", "--root", str(root)], stdout=subprocess.DEVNULL, stderr=log)


def latency(args, binary, cache):
    """One binary's run; returns its figures for the summary table."""
    figures = {}
    scratch = Path(tempfile.mkdtemp(prefix="labelmill-latency-", dir=args.scratch))
    root = scratch / "root"
    try:
        print("copying the cached root ...", flush=True)
        subprocess.run(["cp", "-a", str(cache), str(root)], check=True)
        (root / ".built").unlink()
        log = open(scratch / "daemon.log", "w")
        start = time.perf_counter()
        daemon = start_daemon(binary, root, log)
        try:
            bench = Bench(root, args.pages)
            (bench.labeler).mkdir(parents=True)
            first = bench.drop(timeout=600)
            figures["start-up"] = f"{time.perf_counter() - start:.1f} s"
            print(f"start-up with {args.pages} pages queued: first drop paged {time.perf_counter() - start:.1f} s after exec", flush=True)
            wait_quiet(daemon.pid)
            print(f"labeler holds {len(bench.held())} pages; daemon RSS {peak_rss_kb(daemon.pid) / 1024:.0f} MB", flush=True)
            drops, submits = [], []
            for i in range(args.samples):
                drops.append(bench.drop())
                time.sleep(0.05)
                submits.append(bench.submit())
                time.sleep(0.05)
            print(summary("drop -> page", drops), flush=True)
            print(summary("submit -> outbox", submits), flush=True)
            for name, values in [("drop -> page p50 / p99", drops), ("submit -> outbox p50 / p99", submits)]:
                found = percentiles(values)
                missed = sum(v is None for v in values)
                figures[name] = (f"{found[0]:.1f} / {found[1]:.1f} ms" if found else "none arrived") + (f" ({missed} timed out)" if missed else "")
            wait_quiet(daemon.pid)
            before, t0 = cpu_seconds(daemon.pid), time.perf_counter()
            time.sleep(args.idle)
            idle = (cpu_seconds(daemon.pid) - before) / (time.perf_counter() - t0)
            print(f"idle CPU over {args.idle:.0f} s: {idle * 100:.2f}% of a core", flush=True)
            figures[f"CPU idle {args.idle:.0f} s"] = f"{idle * 100:.2f}%"
            before, t0 = cpu_seconds(daemon.pid), time.perf_counter()
            late, n = [], 0
            while time.perf_counter() - t0 < args.trickle:
                tick = time.perf_counter()
                late.append(bench.drop())
                late.append(bench.submit())
                n += 1
                rest = 1.0 - (time.perf_counter() - tick)
                if rest > 0:
                    time.sleep(rest)
            trickle = (cpu_seconds(daemon.pid) - before) / (time.perf_counter() - t0)
            print(f"trickle CPU over {args.trickle:.0f} s ({n} drops + {n} submissions, one each a second): "
                  f"{trickle * 100:.2f}% of a core", flush=True)
            arrived = sum(v is not None for v in late)
            figures[f"CPU trickle {args.trickle:.0f} s"] = f"{trickle * 100:.2f}% ({arrived} of {len(late)} arrived)"
            print(f"daemon peak RSS {peak_rss_kb(daemon.pid) / 1024:.0f} MB", flush=True)
            figures["peak RSS"] = f"{peak_rss_kb(daemon.pid) / 1024:.0f} MB"
        finally:
            daemon.terminate()
            try:
                daemon.wait(30)
            except subprocess.TimeoutExpired:
                daemon.kill()
            log.close()
    finally:
        if args.keep:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return figures


def rss(args, binary):
    scratch = Path(tempfile.mkdtemp(prefix="labelmill-rss-", dir=args.scratch))
    root = scratch / "root"
    try:
        if args.source:
            print(f"copying {args.source} (built by synthetic_root.py) ...", flush=True)
            subprocess.run(["cp", "-a", args.source, str(root)], check=True)
        elif args.synthetic:
            import synthetic_root
            print(f"writing a root of {args.images} images paged by 4 directly (synthetic_root.py) ...", flush=True)
            start = time.perf_counter()
            synthetic_root.build(root, args.images, 4)
            print(f"  written in {time.perf_counter() - start:.0f} s", flush=True)
        else:
            print(f"writing {args.images} PNGs and paging them with watch --once (page size 4) ...", flush=True)
            took, kb = build_root(binary, root, args.images, 4, args.held)
            print(f"watch --once: {args.images} images in {took:.1f} s ({args.images / took:.0f} images/s), peak RSS {kb / 1024:.0f} MB", flush=True)
        log = open(scratch / "daemon.log", "w")
        bench = Bench(root, args.images)
        bench.next_page = (args.images + 3) // 4 + 1
        bench.labeler.mkdir(parents=True)
        start = time.perf_counter()
        daemon = start_daemon(binary, root, log)
        try:
            took = bench.drop(timeout=900)
            print(f"start-up with {args.images} images ({bench.next_page - 2} pages): "
                  f"first drop paged {time.perf_counter() - start:.1f} s after exec" if took else "start-up: the drop never arrived", flush=True)
            wait_quiet(daemon.pid)
            for _ in range(10):
                bench.drop()
                bench.submit()
            print(f"daemon peak RSS (VmHWM) {peak_rss_kb(daemon.pid) / 1024:.0f} MB", flush=True)
        finally:
            daemon.terminate()
            try:
                daemon.wait(60)
            except subprocess.TimeoutExpired:
                daemon.kill()
            log.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=100000, help="pages queued (page size 1)")
    ap.add_argument("--samples", type=int, default=100, help="samples of each latency")
    ap.add_argument("--held", type=int, default=20, help="pages the labeler holds (pages_per_labeler)")
    ap.add_argument("--idle", type=float, default=60, help="seconds of idle CPU measurement")
    ap.add_argument("--trickle", type=float, default=60, help="seconds of trickle CPU measurement")
    ap.add_argument("--bin", action="append", default=None, help="the labelmill binary; several: each in turn")
    ap.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "labelmill-latency-cache"),
                    help="where the built queue is kept between runs")
    ap.add_argument("--scratch", default=None, help="folder for the run's root (default: a temp folder)")
    ap.add_argument("--keep", action="store_true", help="keep the run's root and daemon.log")
    ap.add_argument("--rss", action="store_true", help="peak RSS and start-up at --images images")
    ap.add_argument("--images", type=int, default=1000000)
    ap.add_argument("--synthetic", action="store_true", help="with --rss: write the root directly (synthetic_root.py)")
    ap.add_argument("--source", default=None, help="with --rss: a copy of this root (synthetic_root.py DIR --images N) instead")
    args = ap.parse_args()
    binaries = binary_paths(args)
    if args.rss:
        for binary in binaries:
            rss(args, binary)
        return
    cache = cached_root(args, binaries[0], args.pages, 1)
    results = []
    for binary in binaries:
        print(f"== {binary}", flush=True)
        results.append(latency(args, binary, cache))
    if len(binaries) > 1:
        rows = list(results[0].keys())
        print(f"\n| {args.pages:,} pages queued | " + " | ".join(binaries) + " |")
        print("|---|" + "---:|" * len(binaries))
        for row in rows:
            print(f"| {row} | " + " | ".join(r.get(row, "") for r in results) + " |")


if __name__ == "__main__":
    main()
