"""The EfficientNet-Lite0 conversion is right: the checkpoint reader honours
shapes, strides and offsets; ONNX Runtime agrees with a plain numpy forward
pass of the same weights (batch norm not folded, padding computed apart); and
the converted model makes ImageNet sense of scikit-image's sample photos.
"""
import collections
import json
import pickle
import struct
import sys
import types
import zipfile
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image

DATA = Path(__file__).resolve().parent / "data"

# ImageNet class ids (the standard 1000-class order).
ESPRESSO, CUP, COFFEE_MUG, EGGNOG = 967, 968, 504, 969
DOMESTIC_CATS = {281, 282, 283, 284, 285}  # tabby, tiger cat, Persian, Siamese, Egyptian cat
HELMET_OR_GEAR = {518, 560, 570, 691, 652, 834, 450}  # crash/football helmet, gas/oxygen mask, uniform, suit, bobsled
ROCKET_LIKE = {657, 744, 812}  # missile, projectile, space shuttle
LAST_NATURAL_CLASS = 397  # ids 0-397 are animals; 398 on are objects


# ---------------------------------------------------------------- a checkpoint written without torch


class FakeStorage:
    def __init__(self, key, array):
        self.key, self.array = key, np.ascontiguousarray(array)


class FakeTensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride


@pytest.fixture
def fake_torch(monkeypatch):
    """Modules named torch and torch._utils, so that pickle writes the globals a real checkpoint has."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):
        raise AssertionError("never called while writing")

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    for name in ("FloatStorage", "LongStorage"):
        cls = type(name, (), {"__module__": "torch"})
        setattr(torch, name, cls)
    torch._utils = utils
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)
    return torch


def pickler(f, torch):
    class StateDictPickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, FakeStorage):
                kind = torch.LongStorage if obj.array.dtype == np.int64 else torch.FloatStorage
                return ("storage", kind, obj.key, "cpu", obj.array.size, None)
            return None

        def reducer_override(self, obj):
            if isinstance(obj, FakeTensor):
                return (torch._utils._rebuild_tensor_v2,
                        (obj.storage, obj.offset, obj.size, obj.stride, False, collections.OrderedDict()))
            return NotImplemented

    return StateDictPickler(f, protocol=2)


def sample_state():
    a = FakeStorage("1001", np.arange(6, dtype=np.float32))
    b = FakeStorage("1002", np.arange(10, 20, dtype=np.float32))
    n = FakeStorage("1003", np.array([7], dtype=np.int64))
    state = collections.OrderedDict()
    state["transposed"] = FakeTensor(a, 0, (2, 3), (1, 2))  # a (3, 2) matrix seen transposed
    state["offset"] = FakeTensor(b, 4, (2, 2), (2, 1))
    state["scalar"] = FakeTensor(n, 0, (), ())
    expected = {"transposed": np.arange(6, dtype=np.float32).reshape(3, 2).T,
                "offset": np.array([[14, 15], [16, 17]], dtype=np.float32), "scalar": np.array(7)}
    return state, [a, b, n], expected


def write_legacy(path, torch):
    state, storages, expected = sample_state()
    with open(path, "wb") as f:
        pickle.dump(0x1950A86A20F9469CFC6C, f, protocol=2)
        pickle.dump(1001, f, protocol=2)
        pickle.dump({"protocol_version": 1001, "little_endian": True, "type_sizes": {"int": 4}}, f, protocol=2)
        pickler(f, torch).dump(state)
        pickle.dump([s.key for s in storages], f, protocol=2)
        for s in storages:
            f.write(struct.pack("<q", s.array.size) + s.array.tobytes())
    return expected


def write_zip(path, torch):
    state, storages, expected = sample_state()
    with zipfile.ZipFile(path, "w") as archive:
        with archive.open("archive/data.pkl", "w") as f:
            pickler(f, torch).dump(state)
        for s in storages:
            archive.writestr(f"archive/data/{s.key}", s.array.tobytes())
    return expected


@pytest.mark.parametrize("write", [write_legacy, write_zip], ids=["legacy", "zip"])
def test_checkpoint_reader_honours_shape_stride_and_offset(lite0, fake_torch, tmp_path, write):
    path = tmp_path / "state.pth"
    expected = write(path, fake_torch)
    state = lite0.load_checkpoint(path)
    assert sorted(state) == sorted(expected)
    for name, want in expected.items():
        assert state[name].shape == want.shape, name
        np.testing.assert_array_equal(state[name], want, err_msg=name)


def test_checkpoint_reader_refuses_other_globals(lite0, tmp_path):
    path = tmp_path / "evil.pth"
    with open(path, "wb") as f:
        pickle.dump(0x1950A86A20F9469CFC6C, f, protocol=2)
        pickle.dump(1001, f, protocol=2)
        pickle.dump({"little_endian": True}, f, protocol=2)
        f.write(b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00trueq\x00\x85R.")
    with pytest.raises(lite0.CheckpointError, match="os.system"):
        lite0.load_checkpoint(path)


def test_checkpoint_reader_refuses_a_file_that_is_not_a_checkpoint(lite0, tmp_path):
    path = tmp_path / "notes.pth"
    path.write_text("hello\n")
    with pytest.raises(lite0.CheckpointError, match="notes.pth"):
        lite0.load_checkpoint(path)


# ---------------------------------------------------------------- the packaged weights


@pytest.fixture(scope="session")
def weights(lite0):
    return lite0.load_checkpoint(lite0.packaged_checkpoint())


def test_packaged_weights_are_lite0(lite0, weights):
    lite0.check_state(weights)  # raises on a missing or misshapen weight
    parameters = sum(v.size for k, v in weights.items() if not k.endswith("num_batches_tracked"))
    assert 4_600_000 < parameters < 4_700_000 + 50_000  # 4.65 M with the batch norms' statistics
    assert weights["_conv_stem.weight"].flags["C_CONTIGUOUS"]
    # The head's batch norm statistics are real, not the zeros/ones of an untrained model.
    assert not np.allclose(weights["_bn1.running_var"], 1.0)


def test_a_wrong_checkpoint_is_refused_with_the_missing_name(lite0, weights):
    broken = dict(weights)
    del broken["_blocks.7._depthwise_conv.weight"]
    with pytest.raises(lite0.CheckpointError, match=r"_blocks\.7\._depthwise_conv\.weight"):
        lite0.build_onnx(broken)


# ---------------------------------------------------------------- numpy reference forward pass

STRIDE_TWO_BLOCKS = {1, 3, 5, 11}


def tf_same(size, kernel, stride):
    out = -(-size // stride)
    pad = max((out - 1) * stride + kernel - size, 0)
    return pad // 2, pad - pad // 2, out


def conv(h, w, stride, depthwise):
    _, height, width = h.shape
    k = w.shape[-1]
    top, bottom, oh = tf_same(height, k, stride)
    left, right, ow = tf_same(width, k, stride)
    padded = np.pad(h, ((0, 0), (top, bottom), (left, right)))
    out = np.zeros((w.shape[0], oh, ow))
    for i in range(k):
        for j in range(k):
            patch = padded[:, i:i + stride * oh:stride, j:j + stride * ow:stride]
            if depthwise:
                out += w[:, 0, i, j][:, None, None] * patch
            else:
                out += np.einsum("oc,chw->ohw", w[:, :, i, j], patch)
    return out


def batch_norm(h, state, name):
    mean, var = state[name + ".running_mean"], state[name + ".running_var"]
    gamma, beta = state[name + ".weight"], state[name + ".bias"]
    return (h - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-3) * gamma[:, None, None] + beta[:, None, None]


def relu6(h):
    return np.clip(h, 0.0, 6.0)


def reference_forward(state, image):
    """EfficientNet-Lite0 in float64 numpy, straight from the state dict's names."""
    s = {k: v.astype(np.float64) for k, v in state.items()}
    h = relu6(batch_norm(conv(image.astype(np.float64), s["_conv_stem.weight"], 2, False), s, "_bn0"))
    index = 0
    while f"_blocks.{index}._depthwise_conv.weight" in s:
        p = f"_blocks.{index}."
        x = h
        if p + "_expand_conv.weight" in s:
            h = relu6(batch_norm(conv(h, s[p + "_expand_conv.weight"], 1, False), s, p + "_bn0"))
        stride = 2 if index in STRIDE_TWO_BLOCKS else 1
        h = relu6(batch_norm(conv(h, s[p + "_depthwise_conv.weight"], stride, True), s, p + "_bn1"))
        h = batch_norm(conv(h, s[p + "_project_conv.weight"], 1, False), s, p + "_bn2")
        if stride == 1 and h.shape == x.shape:
            h = h + x
        index += 1
    assert index == 16
    h = relu6(batch_norm(conv(h, s["_conv_head.weight"], 1, False), s, "_bn1"))
    features = h.mean(axis=(1, 2))
    return features, s["_fc.weight"] @ features + s["_fc.bias"]


@pytest.fixture(scope="session")
def embedder(lite0, lite0_model):
    return lite0.Embedder(lite0_model)


@pytest.fixture(scope="session")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    paths = {}
    for name in ("coffee", "chelsea", "astronaut", "rocket"):
        paths[name] = folder / f"{name}.png"
        Image.fromarray(getattr(skimage.data, name)()).save(paths[name])
    return paths


def test_onnx_runtime_agrees_with_numpy_forward_pass(lite0, weights, embedder, photos):
    image = lite0.preprocess(str(photos["coffee"]))
    want_features, want_logits = reference_forward(weights, image)
    features, logits = embedder.run(image[None])
    assert features.shape == (1, 1280) and logits.shape == (1, 1000)
    assert np.abs(features[0] - want_features).max() < 1e-4 * max(1.0, np.abs(want_features).max())
    assert np.abs(logits[0] - want_logits).max() < 1e-4 * np.abs(want_logits).max()
    # The pooled features are ReLU6 outputs averaged: in [0, 6], and not all zero.
    assert features.min() >= 0 and features.max() <= 6 and np.count_nonzero(features) > 500


def test_a_batch_gives_what_each_image_gives_alone(lite0, embedder, photos):
    images = np.stack([lite0.preprocess(str(photos["coffee"])), lite0.preprocess(str(photos["chelsea"]))])
    features, _ = embedder.run(images)
    for i in range(2):
        alone, _ = embedder.run(images[i:i + 1])
        np.testing.assert_allclose(features[i], alone[0], atol=1e-5)


def top5(embedder, path):
    _, logits = embedder.embed(str(path))
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    order = np.argsort(-probs)[:5]
    return [int(i) for i in order], probs


def test_coffee_is_espresso(embedder, photos):
    top, probs = top5(embedder, photos["coffee"])
    assert top[0] == ESPRESSO and probs[ESPRESSO] > 0.5, top
    assert {CUP, COFFEE_MUG} & set(top), top


def test_chelsea_is_a_cat(embedder, photos):
    top, probs = top5(embedder, photos["chelsea"])
    assert top[0] in DOMESTIC_CATS, top
    assert len(DOMESTIC_CATS & set(top)) >= 3 and sum(probs[i] for i in DOMESTIC_CATS) > 0.6, top


def test_astronaut_and_rocket_are_gear_and_rockets_not_animals(embedder, photos):
    top, _ = top5(embedder, photos["astronaut"])
    assert HELMET_OR_GEAR & set(top[:3]) and min(top) > LAST_NATURAL_CLASS, top
    top, _ = top5(embedder, photos["rocket"])
    assert top[0] in ROCKET_LIKE, top


def test_embeddings_of_alike_photos_are_nearer(embedder, photos, tmp_path):
    """A cat seen flipped and darker stays nearer the cat than the coffee does."""
    cat = skimage.data.chelsea()
    other = tmp_path / "chelsea-flipped.png"
    Image.fromarray((cat[:, ::-1] * 0.8).astype(np.uint8)).save(other)
    vectors = {name: embedder.embed(str(path))[0] for name, path in photos.items()}
    flipped = embedder.embed(str(other))[0]

    def cosine(a, b):
        return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))

    assert cosine(flipped, vectors["chelsea"]) > 0.8
    assert cosine(flipped, vectors["chelsea"]) > cosine(flipped, vectors["coffee"]) + 0.2


def test_coffee_embedding_matches_the_stored_vector(embedder, photos):
    """The whole chain (decode, resize, crop, normalize, model) as recorded when it was checked by hand."""
    stored = json.loads((DATA / "efficientnet-lite0-coffee.json").read_text())
    want = np.array(stored["embedding"])
    got, _ = embedder.embed(str(photos["coffee"]))
    assert got.shape == want.shape == (1280,)
    assert float(got @ want / np.linalg.norm(got) / np.linalg.norm(want)) > 0.9999
    assert np.abs(got - want).max() < 2e-3


# ---------------------------------------------------------------- preprocessing and the cached file


def test_preprocess_keeps_the_centre_square_at_224(lite0, tmp_path):
    wide = np.zeros((100, 300, 3), dtype=np.uint8)
    wide[:, :100, 0] = wide[:, 100:200, 1] = wide[:, 200:, 2] = 255  # red, green, blue thirds
    path = tmp_path / "wide.png"
    Image.fromarray(wide).save(path)
    x = lite0.preprocess(str(path))
    assert x.shape == (3, 224, 224) and x.dtype == np.float32
    on, off = (255 - 127) / 128, (0 - 127) / 128
    # Only the green centre is kept (the outermost columns may blend with the neighbours).
    inner = x[:, :, 2:-2]
    assert np.allclose(inner[1], on) and np.allclose(inner[0], off) and np.allclose(inner[2], off)


@pytest.mark.parametrize("mode", ["L", "I;16", "RGBA", "P"])
def test_preprocess_reads_grey_16_bit_alpha_and_palette(lite0, tmp_path, mode):
    grey = np.full((40, 40), 200, dtype=np.uint8)
    if mode == "I;16":
        img = Image.fromarray(grey.astype(np.uint16) * 257)
    elif mode == "RGBA":
        img = Image.fromarray(np.dstack([grey, grey, grey, np.full_like(grey, 255)]), "RGBA")
    elif mode == "P":
        img = Image.fromarray(grey).convert("P")
    else:
        img = Image.fromarray(grey)
    path = tmp_path / "x.png"
    img.save(path)
    x = lite0.preprocess(str(path))
    assert np.allclose(x, (200 - 127) / 128, atol=1 / 128), (mode, x.min(), x.max())


def test_convert_is_cached_and_redone_for_other_weights(lite0, tmp_path, weights):
    out = tmp_path / "m.onnx"
    messages = []
    lite0.convert(out, log=messages.append)
    first = out.stat().st_mtime_ns
    lite0.convert(out, log=messages.append)
    assert out.stat().st_mtime_ns == first and "up to date" in messages[-1]
    props = lite0.model_props(out)
    assert props["converter_version"] == lite0.CONVERTER_VERSION and len(props["source_sha256"]) == 64
    lite0.convert(out, force=True, log=messages.append)
    assert "wrote" in messages[-1]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left
