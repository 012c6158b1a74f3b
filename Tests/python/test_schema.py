"""The generated JSON Schema validates real page.json files with a real
draft-07 validator, and refuses what the daemon would refuse."""
import copy
import json
import os
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("LABELMILL_BIN", str(REPO / ".build" / "debug" / "labelmill"))


def png(width, height, seed=0):
    # One filter byte per row, then RGB pixels.
    rows = b"".join(b"\x00" + b"".join(bytes([(x * 7 + seed) & 255, y & 255, seed]) for x in range(width)) for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def run(*args, root):
    return subprocess.run([BIN, *args, "--root", str(root)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def schema():
    out = subprocess.run([BIN, "schema"], capture_output=True, text=True, check=True).stdout
    s = json.loads(out)
    jsonschema.Draft7Validator.check_schema(s)
    return s


@pytest.mark.parametrize("task", ["multi-class", "multi-label", "bbox", "polygon"])
def test_schema_validates_real_pages(schema, task):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        assert run("project", "create", "p", "--task", task, "--tags", "Cat,Dog", "--page-size", "2", root=root).returncode == 0
        for i in range(3):
            (root / "Inbox/p" / f"img{i}.png").write_bytes(png(12 + i, 9, seed=i))
        assert run("watch", "--once", root=root).returncode == 0
        pages = sorted((root / "Watch/p/queue").iterdir())
        assert len(pages) == 2
        # The file the daemon wrote is valid against the schema it wrote beside it.
        on_disk = json.loads((root / "Watch/page.schema.json").read_text())
        assert on_disk == schema
        page = json.loads((pages[0] / "page.json").read_text())
        jsonschema.validate(page, schema)
        # $schema resolves from the page folder to Watch/page.schema.json.
        assert (pages[0] / page["$schema"]).resolve() == (root / "Watch/page.schema.json").resolve()

        # A labeled page is valid too.
        labeled = copy.deepcopy(page)
        for image in labeled["images"]:
            if task == "multi-class":
                image["tags"] = ["Dog"]
            elif task == "multi-label":
                image["tags"] = ["Cat", "Dog"]
            elif task == "bbox":
                image["regions"] = [{"tag": "Cat", "box": {"x": 1, "y": 1.5, "width": 4, "height": 3}}]
            else:
                image["regions"] = [{"tag": "Dog", "polygon": [[1, 1], [5, 1], [3, 4.5]]}]
        labeled["status"] = "submitted"
        labeled["comment"] = "looked fine"
        jsonschema.validate(labeled, schema)

        # What an editor should flag: a typo'd key, a wrong status, a box missing a side.
        typo = copy.deepcopy(labeled)
        typo["tgas"] = typo.pop("tags")
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(typo, schema)
        bad_status = copy.deepcopy(labeled)
        bad_status["status"] = "finished"
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad_status, schema)
        if task == "bbox":
            broken = copy.deepcopy(labeled)
            del broken["images"][0]["regions"][0]["box"]["width"]
            with pytest.raises(jsonschema.ValidationError):
                jsonschema.validate(broken, schema)
