#!/usr/bin/env python3
"""`labelmill watch --poll` with a large queue: what a poll pass costs.

    python3 Benchmarks/poll_bench.py [--pages 100000] [--poll 2] [--idle 60] [--samples 20] [--bin PATH]

The root is latency_bench.py's (100,000 pages of one tiny PNG, built once by
`watch --once` and cached); each run copies it and starts `watch --poll
SECONDS` on the copy, with one labeler holding 20 pages. Reported: the
daemon's CPU over --idle seconds of nothing (every pass compares folder
times; queued page folders are not entered), then drop -> page and submit ->
outbox, one sample at a time (each waits for the next pass, so expect about
half a poll interval plus the work).
"""
import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from latency_bench import Bench, binary_paths, cached_root, cpu_seconds, peak_rss_kb, summary, wait_quiet  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=100000)
    ap.add_argument("--poll", type=float, default=2.0)
    ap.add_argument("--idle", type=float, default=60)
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--held", type=int, default=20)
    ap.add_argument("--bin", action="append", help="the labelmill binary (default: the release build)")
    ap.add_argument("--cache", default="/tmp/labelmill-latency-cache")
    ap.add_argument("--scratch", default="/tmp")
    args = ap.parse_args()
    binary = binary_paths(args)[0]
    cache = cached_root(args, binary, args.pages, 1)
    scratch = Path(tempfile.mkdtemp(prefix="labelmill-poll-", dir=args.scratch))
    root = scratch / "root"
    try:
        subprocess.run(["cp", "-a", str(cache), str(root)], check=True)
        (root / ".built").unlink()
        log = open(scratch / "daemon.log", "w")
        start = time.perf_counter()
        daemon = subprocess.Popen([binary, "watch", "--poll", str(args.poll), "--root", str(root)],
                                  stdout=subprocess.DEVNULL, stderr=log)
        try:
            bench = Bench(root, args.pages)
            bench.labeler.mkdir(parents=True)
            if bench.drop(timeout=600) is None:
                sys.exit("the first drop was never paged")
            print(f"start-up with {args.pages} pages queued, --poll {args.poll:g}: first drop paged "
                  f"{time.perf_counter() - start:.1f} s after exec", flush=True)
            wait_quiet(daemon.pid, seconds=max(2.0, 2 * args.poll))
            used = cpu_seconds(daemon.pid)
            time.sleep(args.idle)
            idle = (cpu_seconds(daemon.pid) - used) / args.idle
            print(f"CPU over {args.idle:g} idle s: {idle * 100:.2f}% of a core "
                  f"({args.idle / args.poll:.0f} passes, {idle * args.poll * 1000:.1f} ms of CPU a pass)", flush=True)
            drops = [bench.drop(timeout=10 * args.poll + 30) for _ in range(args.samples)]
            submits = [bench.submit(timeout=10 * args.poll + 30) for _ in range(args.samples)]
            print(summary("drop -> page", drops), flush=True)
            print(summary("submit -> outbox", submits), flush=True)
            print(f"peak RSS {peak_rss_kb(daemon.pid) / 1024:.0f} MB", flush=True)
        finally:
            daemon.terminate()
            daemon.wait(60)
    finally:
        subprocess.run(["rm", "-rf", str(scratch)])


if __name__ == "__main__":
    main()
