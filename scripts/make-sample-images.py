#!/usr/bin/env python3
"""Writes the sample project's images under Inbox/sample/: coloured shapes on
soft backgrounds, 160x120, PNG at the top and JPEG in batch2/.

PNGs are written with zlib and struct only. JPEGs are compressed by a tiny C
program built here with gcc against libturbojpeg (Debian: libturbojpeg0-dev).
The output is deterministic, so rerunning changes no bytes.

usage: scripts/make-sample-images.py [ROOT]   (default: the repository root)
"""
import math
import os
import struct
import subprocess
import sys
import tempfile
import zlib

WIDTH, HEIGHT = 160, 120

# name, shape, centre x, centre y, size, fill colour, background top, background bottom
SAMPLES = [
    ("circle-1.png", "circle", 70, 60, 38, (220, 60, 50), (235, 240, 250), (190, 205, 230)),
    ("circle-2.png", "circle", 105, 50, 28, (40, 120, 200), (250, 245, 225), (225, 210, 170)),
    ("square-1.png", "square", 80, 64, 34, (50, 160, 80), (245, 245, 245), (200, 200, 205)),
    ("triangle-1.png", "triangle", 60, 66, 40, (240, 170, 30), (220, 235, 245), (160, 190, 215)),
    ("batch2/square-2.jpg", "square", 95, 55, 26, (130, 60, 170), (250, 235, 235), (215, 185, 185)),
    ("batch2/circle-3.jpg", "circle", 50, 70, 32, (30, 150, 150), (240, 250, 240), (195, 220, 195)),
    ("batch2/triangle-2.jpg", "triangle", 100, 62, 36, (200, 50, 110), (245, 240, 230), (205, 195, 175)),
    ("batch2/star-1.jpg", "star", 80, 60, 42, (250, 200, 40), (40, 50, 80), (15, 20, 40)),
]

ENCODER = r"""
#include <stdio.h>
#include <stdlib.h>
#include <turbojpeg.h>
int main(int argc, char **argv) {
    if (argc != 5) return 2;
    int width = atoi(argv[3]), height = atoi(argv[4]);
    size_t size = (size_t)width * height * 3;
    unsigned char *rgb = malloc(size);
    FILE *in = fopen(argv[1], "rb");
    if (!rgb || !in || fread(rgb, 1, size, in) != size) return 1;
    fclose(in);
    tjhandle tj = tjInitCompress();
    unsigned char *jpeg = NULL;
    unsigned long jpeg_size = 0;
    if (!tj || tjCompress2(tj, rgb, width, 0, height, TJPF_RGB, &jpeg, &jpeg_size, TJSAMP_420, 88, 0) != 0) {
        fprintf(stderr, "%s\n", tjGetErrorStr2(tj));
        return 1;
    }
    FILE *out = fopen(argv[2], "wb");
    if (!out || fwrite(jpeg, 1, jpeg_size, out) != jpeg_size || fclose(out) != 0) return 1;
    tjFree(jpeg);
    tjDestroy(tj);
    return 0;
}
"""


def inside(shape, x, y, cx, cy, r):
    dx, dy = x - cx, y - cy
    if shape == "circle":
        return dx * dx + dy * dy <= r * r
    if shape == "square":
        return abs(dx) <= r * 0.85 and abs(dy) <= r * 0.85
    if shape == "triangle":
        # Pointing up: apex at (cx, cy - r), base at y = cy + r/2.
        top, bottom = cy - r, cy + r * 0.6
        if y < top or y > bottom:
            return False
        half = (y - top) / (bottom - top) * r * 0.95
        return abs(dx) <= half
    if shape == "star":
        angle = math.atan2(dy, dx) + math.pi / 2
        spike = (math.cos(5 * angle) + 1) / 2
        return math.hypot(dx, dy) <= r * (0.45 + 0.55 * spike ** 2)
    raise ValueError(shape)


def render(shape, cx, cy, r, fill, top, bottom, seed):
    """RGB bytes, row by row; edges antialiased with 4x4 samples, a little grain for a photo-like look."""
    noise = seed * 2654435761 & 0xFFFFFFFF
    pixels = bytearray()
    for y in range(HEIGHT):
        t = y / (HEIGHT - 1)
        background = [round(a + (b - a) * t) for a, b in zip(top, bottom)]
        for x in range(WIDTH):
            hits = sum(
                inside(shape, x + (i + 0.5) / 4, y + (j + 0.5) / 4, cx, cy, r)
                for i in range(4)
                for j in range(4)
            )
            cover = hits / 16
            # Shade the shape from its top-left, as if lit.
            light = 1.0 - 0.25 * max(0.0, min(1.0, ((x - cx) + (y - cy)) / (2 * r) + 0.5))
            noise = (noise * 1103515245 + 12345) & 0x7FFFFFFF
            grain = (noise >> 16) % 7 - 3
            for c in range(3):
                value = background[c] * (1 - cover) + fill[c] * light * cover + grain
                pixels.append(max(0, min(255, round(value))))
    return bytes(pixels)


def png(rgb):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + rgb[y * WIDTH * 3:(y + 1) * WIDTH * 3] for y in range(HEIGHT))
    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9))
            + chunk(b"IEND", b""))


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    target = os.path.join(root, "Inbox", "sample")
    with tempfile.TemporaryDirectory() as work:
        encoder = os.path.join(work, "encode-jpeg")
        source = encoder + ".c"
        with open(source, "w") as f:
            f.write(ENCODER)
        subprocess.run(["gcc", "-O2", "-o", encoder, source, "-lturbojpeg"], check=True)
        for seed, (name, shape, cx, cy, r, fill, top, bottom) in enumerate(SAMPLES, start=1):
            rgb = render(shape, cx, cy, r, fill, top, bottom, seed)
            path = os.path.join(target, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if name.endswith(".png"):
                with open(path, "wb") as f:
                    f.write(png(rgb))
            else:
                raw = os.path.join(work, "image.rgb")
                with open(raw, "wb") as f:
                    f.write(rgb)
                subprocess.run([encoder, raw, path, str(WIDTH), str(HEIGHT)], check=True)
            print(os.path.relpath(path, root))


if __name__ == "__main__":
    main()
