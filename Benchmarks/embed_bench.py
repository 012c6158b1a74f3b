#!/usr/bin/env python3
"""Embedding throughput of the reference predictor (predictors/efficientnet_lite0.py).

    .venv/bin/python Benchmarks/embed_bench.py [--images 64] [--threads 1,2]

Two figures per thread count, in images/s:
  model     ONNX Runtime alone on an already preprocessed 224x224 image, batch 1
  protocol  the predictor as the daemon runs it: a subprocess answering pipelined
            `embed` lines, each image decoded from disk (scikit-image's sample
            photos, 300x451 to 512x512, half PNG, half JPEG), resized, cropped, run
            and printed as JSON
The load average is printed too: on a machine busy with builds the figures drop.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
PREDICTOR = REPO / "predictors" / "efficientnet_lite0.py"
sys.path.insert(0, str(PREDICTOR.parent))
import efficientnet_lite0 as lite0  # noqa: E402


def sample_images(folder, count):
    import skimage.data
    from PIL import Image

    photos = [skimage.data.coffee(), skimage.data.chelsea(), skimage.data.astronaut(), skimage.data.rocket()]
    paths = []
    for i in range(count):
        pixels = photos[i % len(photos)]
        pixels = pixels[:, ::-1] if (i // len(photos)) % 2 else pixels  # not the same bytes twice in a row
        path = folder / (f"img-{i:04d}.jpg" if i % 2 else f"img-{i:04d}.png")
        Image.fromarray(np.ascontiguousarray(pixels)).save(path, quality=90)
        paths.append(path)
    return paths


def model_rate(threads, image, seconds=5.0):
    embedder = lite0.Embedder(threads=threads)
    batch = image[None]
    embedder.run(batch)  # the first run allocates
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        embedder.run(batch)
        done += 1
    return done / (time.perf_counter() - start)


def protocol_rate(threads, paths):
    process = subprocess.Popen([sys.executable, str(PREDICTOR), "serve", "--threads", str(threads)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    # Warm up (model load) before the clock starts.
    process.stdin.write(json.dumps({"id": -1, "op": "embed", "image": str(paths[0])}) + "\n")
    process.stdin.flush()
    assert "embedding" in json.loads(process.stdout.readline())
    start = time.perf_counter()
    process.stdin.write("".join(json.dumps({"id": i, "op": "embed", "image": str(p)}) + "\n" for i, p in enumerate(paths)))
    process.stdin.flush()
    for i in range(len(paths)):
        answer = json.loads(process.stdout.readline())
        assert answer["id"] == i and len(answer["embedding"]) == 1280, answer
    elapsed = time.perf_counter() - start
    process.stdin.close()
    process.wait()
    return len(paths) / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=64, help="images through the protocol per run (default 64)")
    parser.add_argument("--threads", default="1,2", help="ONNX Runtime thread counts to try (default 1,2)")
    args = parser.parse_args()
    lite0.convert(log=lambda _: None)
    print(f"cores: {os.cpu_count()}, load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as folder:
        paths = sample_images(Path(folder), args.images)
        image = lite0.preprocess(str(paths[0]))
        for threads in (int(t) for t in args.threads.split(",")):
            model = model_rate(threads, image)
            protocol = protocol_rate(threads, paths)
            print(f"threads {threads}: model {model:.1f} images/s, protocol {protocol:.1f} images/s ({args.images} images)")
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
