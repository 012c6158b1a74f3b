"""What every reference predictor shares: SPEC section 8's JSON lines and image decoding.

A predictor is a function from one request (a dict that passed `read_request`) to
the fields of its answer; `serve` runs it over stdin/stdout:

    def answer(request):
        return {"regions": [...]}          # or {"embedding": array}, or raise RequestError
    serve(answer, "faces", ops={"predict"})

Every line gets exactly one answer, in order. A line that is not UTF-8 or not
JSON, has no id, asks for an op the predictor does not answer, or names an
image that cannot be read gets an error line (with the request's id when one
can be seen in it) and the predictor goes on. It exits at end of input.
"""
import json
import os
import re
import sys

import numpy as np

MAX_PIXELS = 100_000_000  # the daemon's own limit (README: sizes are checked before decoding)
MAX_LINE = 1 << 20  # a request is a few hundred bytes; anything longer is refused, not read into memory


class ImageError(Exception):
    """The image cannot be read; the message names the file and why."""


class RequestError(Exception):
    """A request this predictor cannot answer; becomes `{"id": ..., "error": message}`."""

    def __init__(self, request_id, message):
        super().__init__(message)
        self.request_id = request_id


# ------------------------------------------------------------------ images


def load_image(path, draft=None):
    """The image at `path` as a Pillow RGB image, as stored (no EXIF rotation: labelers and
    the daemon see the stored pixels); `draft` (w, h) lets JPEG decode at a reduced scale
    still at least that size. ImageError says why it cannot be read."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                if draft:
                    img.draft("RGB", draft)
                img.load()
                return to_rgb(img)
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file")
    except IsADirectoryError:
        raise ImageError(f"{path}: is a folder, not an image")
    except PermissionError:
        raise ImageError(f"{path}: permission denied")
    except UnidentifiedImageError:
        raise ImageError(f"{path}: not an image Pillow can read (PNG, JPEG, ...)")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"{path}: over {MAX_PIXELS:,} pixels")
    except (OSError, ValueError, SyntaxError) as error:
        raise ImageError(f"{path}: cannot decode the image: {error}")


def to_rgb(img):
    from PIL import Image

    if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        # 16-bit grey: Pillow's convert("RGB") would clip it at 255 rather than scale it.
        grey = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode != "F" and grey.max(initial=0) > 255 else 255.0
        if img.mode == "F":
            top = max(grey.max(initial=1.0), 1.0)
        img = Image.fromarray(np.clip(grey / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        # Transparent pixels over white, as the labeling screen's page shows them.
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


# ------------------------------------------------------------------ lines

_ID = re.compile(rb'"id"\s*:\s*(-?\d{1,18}|"(?:[^"\\]|\\.){0,200}")')


def numbers(vector):
    # Six significant digits: float32 features need no more, and the line stays ~12 KB.
    return "[" + ",".join(f"{v:.6g}" for v in vector.tolist()) + "]"


def answer_line(request_id, **fields):
    parts = [f'"id": {json.dumps(request_id)}']
    for key, value in fields.items():
        parts.append(f'"{key}": ' + (numbers(value) if isinstance(value, np.ndarray) else json.dumps(value)))
    return ("{" + ", ".join(parts) + "}\n").encode()


def salvage_id(raw):
    """The id of a line that is not valid JSON, when one can be seen in it; else None."""
    match = _ID.search(raw)
    if not match:
        return None
    try:
        return json.loads(match.group(1))
    except ValueError:
        return None


def read_request(raw, ops):
    """One request line (bytes) as a dict with an id, an op in `ops` and an absolute image path;
    RequestError says what is wrong with it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RequestError(salvage_id(raw), f"the request is not UTF-8 (byte {error.start})")
    try:
        request = json.loads(text)
    except ValueError as error:
        raise RequestError(salvage_id(raw), f"the request is not JSON: {error}")
    if not isinstance(request, dict):
        raise RequestError(None, f"the request is a JSON {type(request).__name__}, not an object with id, op and image")
    if "id" not in request:
        raise RequestError(None, "the request has no id")
    request_id = request["id"]
    if isinstance(request_id, (dict, list)):
        raise RequestError(None, "the request's id is not a number or a string")
    op = request.get("op")
    if op not in ops:
        names = " and ".join(json.dumps(o) for o in sorted(ops))
        raise RequestError(request_id, f"op {json.dumps(op)} is not supported: this predictor answers only {names}")
    image = request.get("image")
    if not isinstance(image, str) or not image:
        raise RequestError(request_id, "the request has no image (an absolute path)")
    if not os.path.isabs(image):
        raise RequestError(request_id, f"image {json.dumps(image)} is not an absolute path")
    return request


def handle(raw, answer, ops):
    """One request line (bytes) to one answer line (bytes)."""
    try:
        request = read_request(raw, ops)
        return answer_line(request["id"], **answer(request))
    except RequestError as error:
        return answer_line(error.request_id, error=str(error))
    except ImageError as error:
        return answer_line(request["id"], error=str(error))


def serve(answer, name, ops, stdin=None, stdout=None, log=None):
    """Answers each line of `stdin` (binary) on `stdout` (binary) until end of input."""
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    while True:
        raw = stdin.readline(MAX_LINE + 1)
        if not raw:
            return
        if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
            head = raw[:4096]
            while raw and not raw.endswith(b"\n"):
                raw = stdin.readline(MAX_LINE)
            out = answer_line(salvage_id(head), error=f"the request is longer than {MAX_LINE} bytes")
        elif not raw.strip():
            continue
        else:
            try:
                out = handle(raw.strip(), answer, ops)
            except Exception as error:  # a bug here must cost one answer, never the predictor
                log(f"{name}: {type(error).__name__}: {error}")
                out = answer_line(salvage_id(raw), error=f"internal error: {type(error).__name__}: {error}")
        try:
            stdout.write(out)
            stdout.flush()
        except BrokenPipeError:
            return


# ------------------------------------------------------------------ region predictors


def region_request(request, what, pick_tag):
    """A `predict` request to a region predictor, checked: returns (task, tag, RGB uint8 array,
    width, height). `what` names the predictor in errors; `pick_tag(tags)` chooses the tag,
    None when there is none to choose."""
    request_id = request["id"]
    task = request.get("task")
    if task not in ("bbox", "polygon"):
        raise RequestError(request_id, f"task {task!r}: the {what} proposes regions, for bbox and polygon projects only")
    tags = request.get("tags")
    tag = pick_tag(tags) if isinstance(tags, list) and tags and all(isinstance(t, str) for t in tags) else None
    if tag is None:
        raise RequestError(request_id, "the request has no tags (the project's tags, a list of strings)")
    img = load_image(request["image"])
    width, height = img.size
    if (request.get("width"), request.get("height")) != (width, height):
        raise RequestError(request_id, f"{request['image']} is {width}x{height}, the request says "
                                       f"{request.get('width')}x{request.get('height')}: it changed since")
    return task, tag, np.asarray(img), width, height


def region_main(parser, argv, name, make_detector, answerer, describe):
    """The command line of a region predictor: `serve` (the default) or `detect IMAGE...`, which
    prints `describe(found)`'s lines for each image. `parser` has the predictor's own options;
    `make_detector(args)` builds its detector."""
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="answer predict requests on stdin/stdout (the default)")
    p = sub.add_parser("detect", help="print what it finds in images")
    p.add_argument("images", nargs="+")
    args = parser.parse_args(argv)
    detector = make_detector(args)
    try:
        if args.command != "detect":
            serve(answerer(detector), name, ops={"predict"})
            return 0
        status = 0
        for image in args.images:
            try:
                found = detector.detect(np.asarray(load_image(os.path.abspath(image))))
            except ImageError as error:
                print(f"{name}: {error}", file=sys.stderr)
                status = 1
                continue
            print(f"{image}: {len(found)} found")
            for line in describe(found):
                print(f"  {line}")
        return status
    except KeyboardInterrupt:
        return 130
