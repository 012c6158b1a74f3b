"""End-to-end checks of `labelmill export` with the tools people load exports with.

Builds a workspace with synthetic images (shapes drawn at known places) and
completed pages written directly as page.json, runs the built binary for every
format, and checks the output with pycocotools, xml.etree, labelme's own reader
(when it imports) and plain recomputation from the truth.

Binary: $LABELMILL_BIN, else .build/debug/labelmill from the repository root.
"""

import csv
import json
import math
import os
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import numpy as np
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("LABELMILL_BIN") or str(REPO / ".build" / "debug" / "labelmill")

BOX_TAGS = ["Square", "Round thing", 'Fish, "big"']
POLY_TAGS = ["Triangle", "Quad", "Star"]
CLASS_TAGS = ["Mammal", "Bird", "Cartilaginous fish"]


# ---------------------------------------------------------------- synthetic data

def png_bytes(width, height, pixels):
    """An 8-bit grayscale PNG from rows of 0-255 values, written with zlib and struct."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(row) for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def inside_polygon(px, py, points):
    """Even-odd test of a point against a polygon that closes itself."""
    inside = False
    n = len(points)
    for i in range(n):
        (x1, y1), (x2, y2) = points[i], points[(i + 1) % n]
        if (y1 > py) != (y2 > py):
            x = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
            if px < x:
                inside = not inside
    return inside


def outline(region):
    if "box" in region:
        b = region["box"]
        return [[b["x"], b["y"]], [b["x"] + b["width"], b["y"]],
                [b["x"] + b["width"], b["y"] + b["height"]], [b["x"], b["y"] + b["height"]]]
    return region["polygon"]


def draw(width, height, regions):
    """The image with each region filled (a pixel is in when its center is)."""
    mask = np.zeros((height, width), dtype=np.uint8)
    for region in regions:
        pts = outline(region)
        for y in range(height):
            for x in range(width):
                if inside_polygon(x + 0.5, y + 0.5, pts):
                    mask[y, x] = 1
    pixels = (40 + mask * 200).astype(np.uint8)
    return mask, [list(row) for row in pixels]


def shoelace(points):
    return abs(sum(points[i][0] * points[(i + 1) % len(points)][1] - points[(i + 1) % len(points)][0] * points[i][1]
                   for i in range(len(points)))) / 2


# Each page: list of (file, width, height, labels). Non-square sizes catch
# swapped axes; fractional coordinates catch rounding; `img.png` on two pages
# catches name clashes; [] is "nothing here".
BOX_PAGES = {
    "page-000001": [
        ("alpha.png", 96, 64, [{"tag": "Square", "box": {"x": 10, "y": 8, "width": 30, "height": 20}},
                               {"tag": "Round thing", "box": {"x": 50, "y": 30, "width": 40, "height": 30}}]),
        ("img.png", 80, 120, [{"tag": 'Fish, "big"', "box": {"x": 0, "y": 0, "width": 80, "height": 120}}]),
    ],
    "page-000002": [
        ("img.png", 64, 48, [{"tag": "Round thing", "box": {"x": 12.25, "y": 6.5, "width": 20.5, "height": 17.75}}]),
        ("empty.png", 40, 30, []),
        ("unlabeled.png", 40, 30, None),
    ],
    "page-000010": [
        ("late.png", 50, 70, [{"tag": "Square", "box": {"x": 49, "y": 69, "width": 1, "height": 1}}]),
    ],
}

POLY_PAGES = {
    "page-000001": [
        ("tri.png", 100, 60, [{"tag": "Triangle", "polygon": [[10, 10], [60, 12], [30, 50]]}]),
        ("quad.png", 60, 100, [{"tag": "Quad", "polygon": [[5, 5], [55, 5], [55, 95], [5, 95]]},
                               {"tag": "Star", "polygon": [[30, 10], [36, 40], [50, 40], [38, 55], [44, 90],
                                                           [30, 65], [16, 90], [22, 55], [10, 40], [24, 40]]}]),
    ],
    "page-000002": [
        ("nothing.png", 32, 32, []),
        ("frac.png", 70, 50, [{"tag": "Triangle", "polygon": [[0.5, 0.5], [69.5, 10.25], [20.75, 49.5]]}]),
    ],
}

CLASS_PAGES = {
    "page-000001": [
        ("cat.png", 20, 10, ["Mammal"]),
        ("shark.png", 10, 20, ["Cartilaginous fish"]),
    ],
    "page-000002": [
        ("gull.png", 16, 16, ["Bird"]),
        ("bat.png", 16, 16, None),
    ],
}


def write_project(root, name, task, tags, pages):
    (root / "Inbox" / name).mkdir(parents=True)
    (root / "Inbox" / name / "project.json").write_text(json.dumps({"task": task, "tags": tags}))
    truth = {}
    outbox = root / "Outbox" / name
    outbox.mkdir(parents=True)
    for page, images in pages.items():
        folder = outbox / page
        folder.mkdir()
        entries = []
        for file, width, height, labels in images:
            regions = labels if task in ("bbox", "polygon") and labels is not None else []
            mask, pixels = draw(width, height, regions)
            (folder / file).write_bytes(png_bytes(width, height, pixels))
            entry = {"file": file, "width": width, "height": height, "source": file, "sha256": "0" * 64}
            entry["regions" if task in ("bbox", "polygon") else "tags"] = labels
            entries.append(entry)
            truth[(page, file)] = (width, height, labels, mask)
        manifest = {"$schema": "../../../Watch/page.schema.json", "project": name, "page": page, "revision": 3,
                    "task": task, "tags": tags, "status": "done", "images": entries}
        (folder / "page.json").write_text(json.dumps(manifest, indent=2))
    # Not pages: refused inputs and the event log.
    (outbox / "rejected").mkdir()
    (outbox / "rejected" / "junk.txt").write_text("x")
    (outbox / "rejected" / "junk.txt.reason.txt").write_text("not an image")
    (outbox / "events.jsonl").write_text('{"event": "done"}\n')
    return truth


def exported_names(pages):
    """The names the export gives: `file`, or page id + `_` + file on a stem clash."""
    seen, names = set(), {}
    for page in sorted(pages):
        for file, _, _, labels in pages[page]:
            if labels is None:
                continue
            stem = file.rsplit(".", 1)[0].lower()
            name = file if stem not in seen else f"{page}_{file}"
            seen.add(name.rsplit(".", 1)[0].lower())
            names[(page, file)] = name
    return names


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("workspace")
    truths = {
        "boxes": write_project(root, "boxes", "bbox", BOX_TAGS, BOX_PAGES),
        "shapes": write_project(root, "shapes", "polygon", POLY_TAGS, POLY_PAGES),
        "animals": write_project(root, "animals", "multi-class", CLASS_TAGS, CLASS_PAGES),
        "many": write_project(root, "many", "multi-label", CLASS_TAGS, {
            "page-000001": [("a.png", 8, 8, ["Bird", "Mammal"]), ("b.png", 8, 8, ["Bird"])]}),
    }
    (root / "Inbox" / "fresh").mkdir(parents=True)
    (root / "Inbox" / "fresh" / "project.json").write_text(json.dumps({"task": "bbox", "tags": ["A", "B"]}))
    return root, truths


def run(root, *args):
    return subprocess.run([BIN, "export", "--root", str(root), *args], capture_output=True, text=True, timeout=120)


_exports = iter(range(1, 1_000_000))


def export(workspace, project, fmt, *extra):
    root, _ = workspace
    out = root / "exports" / f"{next(_exports):03}-{project}-{fmt}"
    result = run(root, project, "--format", fmt, "--out", str(out), *extra)
    assert result.returncode == 0, result.stderr
    return out, result


def page_order(pages):
    return [(page, file) for page in sorted(pages) for file, _, _, labels in pages[page] if labels is not None]


# ---------------------------------------------------------------- COCO

@pytest.mark.parametrize("project,pages,tags", [("boxes", BOX_PAGES, BOX_TAGS), ("shapes", POLY_PAGES, POLY_TAGS)])
def test_coco_loads_in_pycocotools_with_true_boxes_and_areas(workspace, project, pages, tags):
    from pycocotools.coco import COCO

    out, result = export(workspace, project, "coco")
    truth = workspace[1][project]
    coco = COCO(str(out / "annotations.json"))

    assert [(c["id"], c["name"]) for c in coco.loadCats(coco.getCatIds())] == [(i + 1, t) for i, t in enumerate(tags)]
    names = exported_names(pages)
    order = page_order(pages)
    images = coco.loadImgs(sorted(coco.getImgIds()))
    assert [img["file_name"] for img in images] == [names[key] for key in order]

    regions = 0
    for img, key in zip(images, order):
        width, height, labels, drawn = truth[key]
        assert (img["width"], img["height"]) == (width, height)
        assert (out / "images" / img["file_name"]).is_file()
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[img["id"]]))
        assert len(anns) == len(labels)
        union = np.zeros((height, width), dtype=np.uint8)
        for ann, region in zip(anns, labels):
            regions += 1
            pts = outline(region)
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            assert ann["bbox"] == pytest.approx([min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)])
            assert ann["area"] == pytest.approx(shoelace(pts))
            assert ann["iscrowd"] == 0
            assert coco.loadCats(ann["category_id"])[0]["name"] == region["tag"]
            assert ann["segmentation"] == [[v for p in pts for v in p]]
            mask = coco.annToMask(ann)
            assert mask.shape == (height, width)
            perimeter = sum(math.dist(pts[i], pts[(i + 1) % len(pts)]) for i in range(len(pts)))
            # Rasterizing moves the edge by at most about half a pixel all round.
            assert abs(int(mask.sum()) - ann["area"]) <= perimeter / 2 + 2, (key, mask.sum(), ann["area"])
            union |= mask
        if labels:
            # The masks land on the shapes drawn in the image: same origin, no axis swap.
            iou = (union & drawn).sum() / max((union | drawn).sum(), 1)
            assert iou > 0.9, (key, iou)
    assert f"exported {len(order)} images, {regions} regions from {len(pages)} pages" in result.stdout
    assert "(coco)" in result.stdout


def test_images_are_hard_links_by_default_copies_on_request_and_absent_with_none(workspace):
    root, _ = workspace
    source = root / "Outbox" / "boxes" / "page-000001" / "alpha.png"
    linked, _ = export(workspace, "boxes", "coco", "--images", "link")
    copied, _ = export(workspace, "boxes", "coco", "--images", "copy")
    bare, _ = export(workspace, "boxes", "coco", "--images", "none")
    assert (linked / "images" / "alpha.png").stat().st_ino == source.stat().st_ino
    assert (copied / "images" / "alpha.png").stat().st_ino != source.stat().st_ino
    assert (copied / "images" / "alpha.png").read_bytes() == source.read_bytes()
    assert not (bare / "images").exists()
    assert json.loads((bare / "annotations.json").read_text())["images"][0]["file_name"] == "alpha.png"


# ---------------------------------------------------------------- VOC

def voc_corners(box, width, height):
    """1-based inclusive corners; fractional edges round to the nearest pixel edge."""
    def edges(start, length, limit):
        first = min(max(math.floor(start + 0.5) + 1, 1), limit)
        last = min(max(math.floor(start + length + 0.5), first), limit)
        return first, last
    xmin, xmax = edges(box["x"], box["width"], width)
    ymin, ymax = edges(box["y"], box["height"], height)
    return xmin, ymin, xmax, ymax


@pytest.mark.parametrize("project,pages", [("boxes", BOX_PAGES), ("shapes", POLY_PAGES)])
def test_voc_xml_has_one_based_inclusive_corners(workspace, project, pages):
    out, _ = export(workspace, project, "voc")
    truth = workspace[1][project]
    names = exported_names(pages)
    order = page_order(pages)
    stems = (out / "ImageSets" / "Main" / "default.txt").read_text().split("\n")[:-1]
    assert stems == [names[key].rsplit(".", 1)[0] for key in order]
    for key in order:
        width, height, labels, _ = truth[key]
        name = names[key]
        root = ET.parse(out / "Annotations" / (name.rsplit(".", 1)[0] + ".xml")).getroot()
        assert root.tag == "annotation"
        assert root.findtext("filename") == name
        assert (out / "JPEGImages" / name).is_file()
        assert int(root.findtext("size/width")) == width and int(root.findtext("size/height")) == height
        objects = root.findall("object")
        assert len(objects) == len(labels)
        for obj, region in zip(objects, labels):
            assert obj.findtext("name") == region["tag"]
            pts = outline(region)
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            box = {"x": min(xs), "y": min(ys), "width": max(xs) - min(xs), "height": max(ys) - min(ys)}
            got = tuple(int(obj.findtext(f"bndbox/{k}")) for k in ("xmin", "ymin", "xmax", "ymax"))
            assert got == voc_corners(box, width, height), (key, region)
            assert 1 <= got[0] <= got[2] <= width and 1 <= got[1] <= got[3] <= height
    assert (out / "labels.txt").read_text().splitlines() == [t for t in (BOX_TAGS if project == "boxes" else POLY_TAGS)]


def test_voc_integer_box_corners_are_x_plus_one_to_x_plus_width(workspace):
    out, _ = export(workspace, "boxes", "voc", "--images", "none")
    obj = ET.parse(out / "Annotations" / "alpha.xml").getroot().find("object")
    # box x=10 y=8 width=30 height=20 covers pixel columns 10..39 (0-based) = 11..40 (1-based).
    assert [int(obj.findtext(f"bndbox/{k}")) for k in ("xmin", "ymin", "xmax", "ymax")] == [11, 9, 40, 28]


# ---------------------------------------------------------------- YOLO

@pytest.mark.parametrize("project,pages,tags", [("boxes", BOX_PAGES, BOX_TAGS), ("shapes", POLY_PAGES, POLY_TAGS)])
def test_yolo_rows_recompute_from_the_truth(workspace, project, pages, tags):
    out, _ = export(workspace, project, "yolo")
    truth = workspace[1][project]
    names = exported_names(pages)
    assert (out / "classes.txt").read_text().splitlines() == tags
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert data["names"] == dict(enumerate(tags))
    assert data["nc"] == len(tags)
    assert Path(data["path"]) == out.resolve()
    assert data["train"] == "images"
    label_files = sorted(p.name for p in (out / "labels").iterdir())
    assert label_files == sorted(names[key].rsplit(".", 1)[0] + ".txt" for key in page_order(pages))
    for key in page_order(pages):
        width, height, labels, _ = truth[key]
        name = names[key]
        assert (out / "images" / name).is_file()
        text = (out / "labels" / (name.rsplit(".", 1)[0] + ".txt")).read_text()
        rows = [line.split() for line in text.splitlines()]
        assert len(rows) == len(labels)
        if not labels:
            assert text == ""  # "nothing here": an empty file, a background image
        for row, region in zip(rows, labels):
            assert int(row[0]) == tags.index(region["tag"])
            values = [float(v) for v in row[1:]]
            assert all(0 <= v <= 1 for v in values)
            if "box" in region:
                b = region["box"]
                expected = [(b["x"] + b["width"] / 2) / width, (b["y"] + b["height"] / 2) / height,
                            b["width"] / width, b["height"] / height]
            else:
                expected = [v / (width if i % 2 == 0 else height)
                            for p in region["polygon"] for i, v in enumerate(p)]
            assert values == pytest.approx(expected, abs=1e-6)


# ---------------------------------------------------------------- labelme

def test_labelme_files_load_with_labelme_or_match_its_documented_keys(workspace):
    out, _ = export(workspace, "shapes", "labelme")
    truth = workspace[1]["shapes"]
    names = exported_names(POLY_PAGES)
    try:
        from labelme import LabelFile
    except Exception:  # labelme did not install: check the keys it documents instead
        LabelFile = None
    for key in page_order(POLY_PAGES):
        width, height, labels, _ = truth[key]
        name = names[key]
        path = out / (name.rsplit(".", 1)[0] + ".json")
        doc = json.loads(path.read_text())
        assert set(doc) == {"version", "flags", "shapes", "imagePath", "imageData", "imageHeight", "imageWidth"}
        assert doc["imagePath"] == name and doc["imageData"] is None and doc["flags"] == {}
        assert (doc["imageWidth"], doc["imageHeight"]) == (width, height)
        assert (out / name).is_file()
        for shape, region in zip(doc["shapes"], labels):
            assert shape["label"] == region["tag"]
            assert shape["shape_type"] == "polygon"
            assert shape["points"] == region["polygon"]
        if LabelFile is not None:
            loaded = LabelFile(str(path))
            assert [s["label"] for s in loaded.shapes] == [r["tag"] for r in labels]
            assert [s["points"] for s in loaded.shapes] == [r["polygon"] for r in labels]
            # Read from imagePath beside the JSON; labelme checks its size against imageWidth/imageHeight.
            assert getattr(loaded, "image_data", None) or loaded.imageData


def test_labelme_boxes_are_rectangles_from_top_left_to_bottom_right(workspace):
    out, _ = export(workspace, "boxes", "labelme")
    doc = json.loads((out / "alpha.json").read_text())
    assert [s["shape_type"] for s in doc["shapes"]] == ["rectangle", "rectangle"]
    assert doc["shapes"][0]["points"] == [[10, 8], [40, 28]]
    try:
        from labelme import LabelFile
    except Exception:
        return
    assert len(LabelFile(str(out / "alpha.json")).shapes) == 2


# ---------------------------------------------------------------- Azure ML JSONL

def test_azureml_boxes_and_polygons_are_normalized(workspace):
    for project, pages in (("boxes", BOX_PAGES), ("shapes", POLY_PAGES)):
        out, _ = export(workspace, project, "azureml")
        truth = workspace[1][project]
        names = exported_names(pages)
        lines = [json.loads(line) for line in (out / "labels.jsonl").read_text().splitlines()]
        order = page_order(pages)
        assert len(lines) == len(order)
        for line, key in zip(lines, order):
            width, height, labels, _ = truth[key]
            assert set(line) == {"image_url", "image_details", "label", "label_confidence"}
            assert line["image_url"] == "images/" + names[key]
            assert (out / line["image_url"]).is_file()
            assert line["image_details"] == {"format": "png", "width": width, "height": height}
            assert len(line["label"]) == len(labels) == len(line["label_confidence"])
            assert all(c == 1 for c in line["label_confidence"])
            for got, region in zip(line["label"], labels):
                assert got["label"] == region["tag"] and got["isCrowd"] == 0
                if "box" in region:
                    b = region["box"]
                    coords = [got["topX"], got["topY"], got["bottomX"], got["bottomY"]]
                    assert coords == pytest.approx([b["x"] / width, b["y"] / height,
                                                    (b["x"] + b["width"]) / width, (b["y"] + b["height"]) / height])
                else:
                    [flat] = got["polygon"]
                    coords = flat
                    assert flat == pytest.approx([v / (width if i % 2 == 0 else height)
                                                  for p in region["polygon"] for i, v in enumerate(p)])
                assert all(0 <= v <= 1 for v in coords)


def test_azureml_classification_labels(workspace):
    out, _ = export(workspace, "animals", "azureml")
    lines = [json.loads(line) for line in (out / "labels.jsonl").read_text().splitlines()]
    assert [(l["image_url"], l["label"], l["label_confidence"]) for l in lines] == [
        ("images/cat.png", "Mammal", 1), ("images/shark.png", "Cartilaginous fish", 1), ("images/gull.png", "Bird", 1)]
    out, _ = export(workspace, "many", "azureml")
    lines = [json.loads(line) for line in (out / "labels.jsonl").read_text().splitlines()]
    assert [(l["label"], l["label_confidence"]) for l in lines] == [(["Bird", "Mammal"], [1, 1]), (["Bird"], [1])]


# ---------------------------------------------------------------- CSV

def test_csv_one_row_per_region_and_quoted_fields(workspace):
    out, _ = export(workspace, "boxes", "csv")
    with open(out / "labels.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    names = exported_names(BOX_PAGES)
    expected = []
    for key in page_order(BOX_PAGES):
        width, height, labels, _ = workspace[1]["boxes"][key]
        for region in labels or [None]:
            expected.append((f"images/{names[key]}", key[0], str(width), str(height), region))
    assert len(rows) == len(expected)
    for row, (image, page, width, height, region) in zip(rows, expected):
        assert (row["image"], row["page"], row["width"], row["height"]) == (image, page, width, height)
        if region is None:
            assert row["tag"] == row["shape"] == row["x"] == ""
            continue
        b = region["box"]
        assert row["tag"] == region["tag"] and int(row["class_id"]) == BOX_TAGS.index(region["tag"])
        assert row["shape"] == "box" and row["points"] == ""
        assert [float(row[k]) for k in ("x", "y", "box_width", "box_height")] == [b["x"], b["y"], b["width"], b["height"]]
    assert '"Fish, ""big"""' in (out / "labels.csv").read_text()


def test_csv_classification_one_row_per_image(workspace):
    out, _ = export(workspace, "many", "csv")
    with open(out / "labels.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["image"], r["tags"], r["class_ids"]) for r in rows] == [
        ("images/a.png", "Bird;Mammal", "1;0"), ("images/b.png", "Bird", "1")]


def test_csv_polygon_points(workspace):
    out, _ = export(workspace, "shapes", "csv", "--images", "none")
    with open(out / "labels.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    tri = rows[0]
    assert tri["shape"] == "polygon" and tri["points"] == "10 10 60 12 30 50"
    assert [tri[k] for k in ("x", "y", "box_width", "box_height")] == ["10", "10", "50", "40"]


# ---------------------------------------------------------------- README, names, refusals

@pytest.mark.parametrize("fmt", ["coco", "voc", "yolo", "labelme", "azureml", "csv"])
def test_every_export_has_a_readme_naming_its_conventions(workspace, fmt):
    out, _ = export(workspace, "boxes", fmt, "--images", "none")
    readme = (out / "README.md").read_text()
    assert "top-left" in readme or "1-based" in readme
    for tag in ("Square", "Round thing"):
        assert tag in readme
    assert not any(p.name.startswith(".") for p in out.parent.iterdir()), "staging folder left behind"


def test_clashing_file_names_get_the_page_id(workspace):
    out, _ = export(workspace, "boxes", "yolo", "--images", "copy")
    assert sorted(p.name for p in (out / "images").iterdir()) == [
        "alpha.png", "empty.png", "img.png", "late.png", "page-000002_img.png"]
    root = workspace[0]
    assert (out / "images" / "page-000002_img.png").read_bytes() == (root / "Outbox/boxes/page-000002/img.png").read_bytes()


@pytest.mark.parametrize("fmt", ["coco", "voc", "yolo", "labelme"])
def test_classification_is_refused_for_region_formats(workspace, fmt):
    root, _ = workspace
    out = root / "exports" / f"refused-{fmt}"
    result = run(root, "animals", "--format", fmt, "--out", str(out))
    assert result.returncode == 1
    assert "csv" in result.stderr and "azureml" in result.stderr
    assert not out.exists()


def test_nothing_to_export_writes_an_empty_valid_export(workspace):
    from pycocotools.coco import COCO

    root, _ = workspace
    out = root / "exports" / "fresh-coco"
    result = run(root, "fresh", "--format", "coco", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "nothing to export" in result.stderr
    coco = COCO(str(out / "annotations.json"))
    assert coco.getImgIds() == [] and [c["name"] for c in coco.loadCats(coco.getCatIds())] == ["A", "B"]
    assert "exported 0 images" in result.stdout


def test_unknown_project_and_used_folder_are_refused(workspace):
    root, _ = workspace
    result = run(root, "nosuch", "--format", "csv", "--out", str(root / "exports" / "nosuch"))
    assert result.returncode == 1 and "nosuch" in result.stderr
    used = root / "exports" / "used"
    used.mkdir(parents=True)
    (used / "keep.txt").write_text("mine")
    result = run(root, "boxes", "--format", "csv", "--out", str(used))
    assert result.returncode == 1 and "not empty" in result.stderr
    assert sorted(p.name for p in used.iterdir()) == ["keep.txt"]


@pytest.mark.parametrize("inside", ["Inbox/boxes/export", "Outbox/boxes/export", "Watch/x", "./Inbox/../Outbox"])
def test_exports_inside_the_workspace_folders_are_refused(workspace, inside):
    root, _ = workspace
    result = run(root, "boxes", "--format", "csv", "--out", str(root / inside))
    assert result.returncode == 1 and "inside the workspace" in result.stderr
    assert not (root / "Inbox" / "boxes" / "export").exists() and not (root / "Outbox" / "boxes" / "export").exists()


def test_a_failed_export_leaves_nothing_behind(workspace):
    root, _ = workspace
    broken = root / "broken"
    write_project(broken, "boxes", "bbox", BOX_TAGS, BOX_PAGES)
    (broken / "Outbox" / "boxes" / "page-000002" / "empty.png").unlink()
    # A staging folder of an export that was killed (no such process) is cleaned up too.
    (root / "exports" / ".failed.labelmill-export-999999999").mkdir(parents=True)
    result = run(broken, "boxes", "--format", "yolo", "--out", str(root / "exports" / "failed"))
    assert result.returncode == 1 and "empty.png" in result.stderr
    assert not [p for p in (root / "exports").iterdir() if "failed" in p.name]


def test_an_existing_empty_folder_is_filled(workspace):
    root, _ = workspace
    out = root / "exports" / "empty-before"
    out.mkdir(parents=True)
    result = run(root, "boxes", "--format", "csv", "--out", str(out) + "/")
    assert result.returncode == 0, result.stderr
    assert (out / "labels.csv").is_file()


def test_skipped_images_are_reported(workspace):
    _, result = export(workspace, "boxes", "csv", "--images", "none")
    assert "unlabeled.png" in result.stderr


def test_usage_errors_are_not_request_errors(workspace):
    root, _ = workspace
    result = run(root, "boxes", "--format", "tiff", "--out", str(root / "exports" / "x"))
    assert result.returncode not in (0, 1)
    help_text = " ".join(subprocess.run([BIN, "export", "--help"], capture_output=True, text=True).stdout.split())
    assert "coco, voc, yolo, labelme, azureml, csv" in help_text
    assert "link, copy, none" in help_text
