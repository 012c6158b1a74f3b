#!/usr/bin/env python3
"""Web page benchmark: with 10,000 pages queued and a held 9-image page holding
1,000 boxes, p50/p99 of a saved edit (PUT of the whole page.json with
If-Match, fsynced, as the screen sends it) and of an image request, measured
with wrk on loopback against `labelmill watch --serve` (the daemon running).

    python3 Benchmarks/serve_bench.py [--pages 10000] [--seconds 10] [--bin PATH] [--keep DIR]

Needs wrk (Debian: apt-get install wrk). Builds nothing: pass --bin or build
release first (swift build -c release). Prints wrk's latency distribution and
a summary line per measurement.
"""
import argparse
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def png(seed, width, height):
    row_bytes = lambda y: b"\x00" + bytes(((x * 7 + seed) & 255, (y * 5 + seed * 37) & 255, (seed * 11 + x + y) & 255)[c]
                                           for x in range(width) for c in range(3))
    rows = b"".join(row_bytes(y) for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))


def small_png(seed):
    # 8x8, distinct by seed: the queue's pages only need to exist.
    rows = b"".join(b"\x00" + struct.pack(">I", seed)[1:] * 8 for _ in range(8))
    rows = rows[:-3] + bytes((seed & 255, 1, 2))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b""))


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


WRK_PUT = r"""
-- Saves alternate between two versions of page.json; each names the ETag of
-- the version on disk, learnt from the previous answer (one connection, in turn).
local bodies = { read_file(os.getenv("BENCH_A")), read_file(os.getenv("BENCH_B")) }
local tags = { os.getenv("BENCH_TAG_A"), os.getenv("BENCH_TAG_B") }
local disk = 1
local sending = 2
function request()
  sending = 3 - disk
  return wrk.format("PUT", os.getenv("BENCH_PATH"), {
    ["Cookie"] = os.getenv("BENCH_COOKIE"), ["If-Match"] = '"' .. tags[disk] .. '"',
    ["Content-Type"] = "application/json" }, bodies[sending])
end
function response(status, headers, body)
  if status == 200 then disk = sending else print("PUT " .. status .. " " .. body) end
end
"""

READ_FILE = r"""
function read_file(path)
  local f = assert(io.open(path, "rb")); local s = f:read("*a"); f:close(); return s
end
"""

WRK_GET = r"""
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
"""


def cpu_seconds(pid):
    """User + system CPU time of a process so far (load on the machine does not change it much)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def requests_done(text):
    m = re.search(r"(\d+) requests in", text)
    return int(m.group(1)) if m else 0


def wrk(script, url, seconds, env, connections=1):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(READ_FILE + script)
        path = f.name
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", path, url],
                         check=True, capture_output=True, text=True, env={**os.environ, **env}).stdout
    os.unlink(path)
    return out


def percentile(text, p):
    m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if not m:
        return None
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=10000, help="pages left in the queue")
    ap.add_argument("--boxes", type=int, default=1000, help="boxes on the held page")
    ap.add_argument("--seconds", type=int, default=10, help="wrk duration of each measurement")
    ap.add_argument("--bin", default=str(REPO / ".build/release/labelmill"))
    ap.add_argument("--keep", help="build the workspace here and keep it")
    ap.add_argument("--sync-saves", action="store_true", help="run the server with --sync-saves (an fsync per save)")
    ap.add_argument("--serve-only", action="store_true", help="run `labelmill serve` alone, without the daemon")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("serve_bench: needs wrk (apt-get install wrk)")
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="labelmill-serve-bench-"))
    made = (root / "Watch" / "bench").exists()
    root.mkdir(parents=True, exist_ok=True)
    inbox = root / "Inbox" / "bench"
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "project.json").write_text(json.dumps(
        {"task": "bbox", "tags": ["Dog", "Cat", "Bird"], "page_size": 9, "pages_per_labeler": 1}))
    t0 = time.time()
    if made:
        # A kept workspace from an earlier run: hand the page back so next takes it again.
        run([args.bin, "leave", "bench", "--as", "ann", "--root", str(root)], stderr=subprocess.DEVNULL)
    # The held page first (page-000001): nine 1024x768 images.
    for i in range(9 if not made else 0):
        (inbox / f"big-{i}.png").write_bytes(png(i, 1024, 768))
    run([args.bin, "watch", "--once", "--root", str(root)], stderr=subprocess.DEVNULL)
    for i in range(args.pages * 9 if not made else 0):
        sub = inbox / f"q{i // 2000:03d}"
        sub.mkdir(exist_ok=True)
        (sub / f"s{i:06d}.png").write_bytes(small_png(i + 1000))
    run([args.bin, "watch", "--once", "--root", str(root)], stderr=subprocess.DEVNULL)
    print(f"workspace: {root} ({time.time() - t0:.0f} s to make)", file=sys.stderr)

    port = free_port()
    log = open(root / "serve.log", "w")
    command = ([args.bin, "serve", "--root", str(root), "--listen", f"127.0.0.1:{port}"] if args.serve_only
               else [args.bin, "watch", "--root", str(root), "--serve", f"127.0.0.1:{port}"])
    daemon = subprocess.Popen(command
                              + (["--sync-saves"] if args.sync_saves else []), stderr=log)
    try:
        for _ in range(600):
            if "labelmill: open" in (root / "serve.log").read_text():
                break
            time.sleep(0.1)
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("POST", "/api/signin", body=json.dumps({"name": "ann"}))
        r = conn.getresponse()
        r.read()
        cookie = r.getheader("Set-Cookie").split(";")[0]
        conn.request("POST", "/api/projects/bench/next", headers={"Cookie": cookie})
        pages = json.loads(conn.getresponse().read())["pages"]
        page = pages[0]
        path = f"/api/projects/bench/pages/{page}"
        conn.request("GET", path, headers={"Cookie": cookie})
        r = conn.getresponse()
        original = r.read()
        etag = r.getheader("ETag").strip('"')
        value = json.loads(original)
        per_image = args.boxes // 9 + 1
        k = 0
        for image in value["images"]:
            regions = []
            for j in range(per_image):
                if k == args.boxes:
                    break
                regions.append({"tag": ["Dog", "Cat", "Bird"][k % 3],
                                "box": {"x": (j * 37) % 900, "y": (j * 53) % 700, "width": 40.5, "height": 30}})
                k += 1
            image["regions"] = regions
        a = json.dumps(value, indent=2).encode()
        value["images"][0]["regions"][0]["box"]["x"] += 1   # the edit: nudge one box
        b = json.dumps(value, indent=2).encode()
        conn.request("PUT", path, body=a, headers={"Cookie": cookie, "If-Match": f'"{etag}"'})
        r = conn.getresponse()
        assert r.status == 200, r.read()
        r.read()
        files = {}
        for name, data in (("a", a), ("b", b)):
            files[name] = root / f"bench-{name}.json"
            files[name].write_bytes(data)
        env = {"BENCH_A": str(files["a"]), "BENCH_B": str(files["b"]), "BENCH_PATH": path, "BENCH_COOKIE": cookie,
               "BENCH_TAG_A": hashlib.sha256(a).hexdigest(), "BENCH_TAG_B": hashlib.sha256(b).hexdigest()}
        base = f"http://127.0.0.1:{port}"
        image_size = len(png(0, 1024, 768))
        print(f"page.json with {args.boxes} boxes: {len(a):,} bytes; image: 1024x768 PNG, ~{image_size:,} bytes; "
              f"{args.pages:,} pages queued", file=sys.stderr)
        cpu0 = cpu_seconds(daemon.pid)
        put = wrk(WRK_PUT, base + path, args.seconds, env)
        cpu1 = cpu_seconds(daemon.pid)
        mode = "fsync per save" if args.sync_saves else "atomic rename, no fsync"
        print(f"== saved edit: PUT page.json with If-Match, 1 connection ({mode})\n" + put)
        get = wrk(WRK_GET, base + path + "/images/1", args.seconds, env)
        cpu2 = cpu_seconds(daemon.pid)
        print("== image: GET images/1, 1 connection\n" + get)
        load = os.getloadavg()[0]
        for name, out, cpu in (("saved edit (PUT)", put, cpu1 - cpu0), ("image GET", get, cpu2 - cpu1)):
            n = max(requests_done(out), 1)
            print(f"{name}: p50 {percentile(out, 50):.2f} ms, p99 {percentile(out, 99):.2f} ms, "
                  f"server CPU {1000 * cpu / n:.2f} ms a request ({n} requests; load average {load:.1f})")
        conn.request("GET", path, headers={"Cookie": cookie})
        r = conn.getresponse()
        final = r.read()
        assert final in (a, b), "page.json on disk is neither version"
    finally:
        daemon.terminate()
        daemon.wait(60)
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
