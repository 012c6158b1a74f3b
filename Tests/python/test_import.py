"""End-to-end checks of `labelmill import` (SPEC section 8).

Round trips: a project's finished pages (written directly into its outbox,
with real PNGs) are exported in each format with `labelmill export`, the same
images are dropped into a new project's inbox, the export is imported there
(`--as done`, or `--as prelabels`), and `labelmill watch --once` makes the
pages: every image must carry the labels it had, matched by SHA-256. Then
imports onto pages already in the queue, Label Studio's JSON export, the
provenance of imported prelabels, a running daemon, and the refusals.

Binary: $LABELMILL_BIN, else .build/debug/labelmill from the repository root.
"""

import hashlib
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from test_export import BOX_PAGES, BOX_TAGS, CLASS_TAGS, POLY_PAGES, POLY_TAGS, draw, png_bytes

REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("LABELMILL_BIN") or str(REPO / ".build" / "debug" / "labelmill")

CLASS_PAGES = {
    "page-000001": [("cat.png", 20, 10, ["Mammal"]), ("shark.png", 10, 20, ["Cartilaginous fish"])],
    "page-000002": [("gull.png", 16, 16, ["Bird"]), ("bat.png", 16, 16, ["Mammal"])],
}
MULTI_PAGES = {
    "page-000001": [("a.png", 8, 8, ["Bird", "Mammal"]), ("b.png", 8, 8, ["Bird"]), ("c.png", 9, 8, ["Cartilaginous fish"])],
}
TASKS = {
    "bbox": (BOX_TAGS, BOX_PAGES),
    "polygon": (POLY_TAGS, POLY_PAGES),
    "multi-class": (CLASS_TAGS, CLASS_PAGES),
    "multi-label": (CLASS_TAGS, MULTI_PAGES),
}


def lm(*args, check=True):
    result = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def image_bytes(width, height, labels, seed):
    """A PNG with the regions drawn, and one pixel set from `seed` so that no two images share bytes."""
    regions = labels if labels and isinstance(labels[0], dict) else []
    _, pixels = draw(width, height, regions)
    pixels[0][0] = seed % 256
    pixels[height - 1][width - 1] = seed // 256
    return png_bytes(width, height, pixels)


def labeled_images(task):
    """(page, file, width, height, labels, bytes) of the images a finished page holds with labels."""
    _, pages = TASKS[task]
    out, seed = [], 1
    for page, images in sorted(pages.items()):
        for file, width, height, labels in images:
            seed += 1
            if labels is not None:
                out.append((page, file, width, height, labels, image_bytes(width, height, labels, seed)))
    return out


def make_project(root, name, task, page_size=4, per_labeler=1):
    tags, _ = TASKS[task]
    folder = root / "Inbox" / name
    folder.mkdir(parents=True)
    (folder / "project.json").write_text(json.dumps({"task": task, "tags": tags, "page_size": page_size,
                                                     "pages_per_labeler": per_labeler}))
    return folder


def finished_project(root, name, task):
    """A project whose outbox holds the finished pages; returns labels by SHA-256."""
    tags, _ = TASKS[task]
    make_project(root, name, task)
    key = "tags" if task in ("multi-class", "multi-label") else "regions"
    truth, pages = {}, {}
    for page, file, width, height, labels, data in labeled_images(task):
        sha = hashlib.sha256(data).hexdigest()
        folder = root / "Outbox" / name / page
        folder.mkdir(parents=True, exist_ok=True)
        (folder / file).write_bytes(data)
        pages.setdefault(page, []).append({"file": file, "width": width, "height": height, "source": file, "sha256": sha, key: labels})
        truth[sha] = labels
    for page, images in pages.items():
        manifest = {"$schema": "../../../Watch/page.schema.json", "project": name, "page": page, "revision": 2,
                    "task": task, "tags": tags, "status": "done", "images": images}
        (root / "Outbox" / name / page / "page.json").write_text(json.dumps(manifest, indent=2))
    return truth


def drop_images(root, inbox, task):
    """The same images into another project's inbox, a folder per page (two pages have an img.png)."""
    for page, file, _, _, _, data in labeled_images(task):
        (inbox / page).mkdir(exist_ok=True)
        (inbox / page / file).write_bytes(data)


def exported_and_dropped(tmp_path, task, fmt, **settings):
    """A finished project "before" exported in `fmt`, and a project "after" with the same images in its inbox."""
    root = tmp_path / "root"
    truth = finished_project(root, "before", task)
    out = tmp_path / "export"
    lm("export", "--root", str(root), "before", "--format", fmt, "--out", str(out))
    inbox = make_project(root, "after", task, **settings)
    drop_images(root, inbox, task)
    return root, truth, out


def pages_of(folder):
    return [json.loads(p.read_text()) for p in sorted(Path(folder).glob("page-*/page.json"))]


def labels_by_sha(folder, task):
    key = "tags" if task in ("multi-class", "multi-label") else "regions"
    return {image["sha256"]: image for page in pages_of(folder) for image in page["images"]} , key


def plain(regions):
    return [{k: v for k, v in r.items() if k in ("tag", "box", "polygon")} for r in regions]


def assert_same_regions(got, want, tolerance):
    assert len(got) == len(want), (got, want)
    for g, w in zip(got, want):
        assert g["tag"] == w["tag"]
        if "box" in w:
            assert set(g["box"]) == {"x", "y", "width", "height"}
            for k in w["box"]:
                assert abs(g["box"][k] - w["box"][k]) <= tolerance, (g, w)
        else:
            assert len(g["polygon"]) == len(w["polygon"])
            for (gx, gy), (wx, wy) in zip(g["polygon"], w["polygon"]):
                assert abs(gx - wx) <= tolerance and abs(gy - wy) <= tolerance, (g, w)


ROUND_TRIPS = [
    ("coco", "bbox"), ("coco", "polygon"), ("voc", "bbox"), ("yolo", "bbox"), ("yolo", "polygon"),
    ("labelme", "bbox"), ("labelme", "polygon"), ("azureml", "bbox"), ("azureml", "polygon"),
    ("azureml", "multi-class"), ("azureml", "multi-label"), ("csv", "bbox"), ("csv", "polygon"),
    ("csv", "multi-class"), ("csv", "multi-label"),
]


@pytest.mark.parametrize("fmt,task", ROUND_TRIPS)
def test_export_then_import_as_done_gives_the_same_labels(tmp_path, fmt, task):
    root, truth, out = exported_and_dropped(tmp_path, task, fmt)

    result = lm("import", "--root", str(root), "after", "--format", fmt, str(out), "--as", "done")
    assert f"imported labels for {len(truth)} images as done" in result.stdout, result.stdout
    lm("watch", "--root", str(root), "--once")

    got, key = labels_by_sha(root / "Outbox" / "after", task)
    assert set(got) == set(truth), "every imported image is done in the outbox"
    assert not list((root / "Watch" / "after" / "queue").glob("page-*")), "nothing left to label"
    # VOC keeps whole pixels (1-based corners), so fractional boxes move by up to a pixel.
    tolerance = 1 if fmt == "voc" else 1e-3
    for sha, labels in truth.items():
        image = got[sha]
        assert image["label_source"] == "import"
        if key == "tags":
            assert image["tags"] == labels
        else:
            assert "prelabels" not in image
            assert_same_regions(image["regions"], labels, tolerance)


def test_importing_the_same_labels_twice_changes_nothing(tmp_path):
    root, _, out = exported_and_dropped(tmp_path, "bbox", "coco")
    lm("import", "--root", str(root), "after", "--format", "coco", str(out), "--as", "done")
    again = lm("import", "--root", str(root), "after", "--format", "coco", str(out), "--as", "done")
    assert "imported before" in again.stdout and "nothing changed" in again.stdout
    assert len(list((root / ".labelmill" / "imports" / "after").iterdir())) == 1
    lm("watch", "--root", str(root), "--once")
    first = pages_of(root / "Outbox" / "after")
    # Once done, the same import again is still "nothing changed"; other labels for a done image are refused.
    third = lm("import", "--root", str(root), "after", "--format", "coco", str(out), "--as", "done")
    assert "done with these labels already: nothing changed" in third.stdout
    doc = json.loads((out / "annotations.json").read_text())
    doc["annotations"][0]["bbox"] = [1, 1, 5, 5]
    (out / "annotations.json").write_text(json.dumps(doc))
    other = lm("import", "--root", str(root), "after", "--format", "coco", str(out), "--as", "done", check=False)
    assert other.returncode == 1 and "already done, on page-000001 in the outbox, with other labels" in other.stderr
    lm("watch", "--root", str(root), "--once")
    assert pages_of(root / "Outbox" / "after") == first


def test_imported_prelabels_are_proposed_then_kept_or_adjusted(tmp_path):
    root, truth, out = exported_and_dropped(tmp_path, "bbox", "yolo", page_size=1, per_labeler=10)
    lm("import", "--root", str(root), "after", "--format", "yolo", str(out))
    lm("watch", "--root", str(root), "--once")

    queued = pages_of(root / "Watch" / "after" / "queue")
    assert len(queued) == len(truth)
    for page in queued:
        image = page["images"][0]
        assert page["assist"]["model"] == "import:yolo"
        assert_same_regions(image["regions"], truth[image["sha256"]], 1e-3)
        assert all(r["prelabel"] == {"confidence": 1, "model": "import:yolo"} for r in image["regions"])
    held = lm("next", "--root", str(root), "after", "--as", "ann").stdout.split()
    assert held
    pages = {json.loads((Path(p) / "page.json").read_text())["images"][0]["file"]: p for p in held}
    kept, moved = pages["alpha.png"], pages["late.png"]
    lm("region", "set", "--root", str(root), moved, "1", "1", "--rect", "40,60,5,5")
    for page in (kept, moved):
        lm("submit", "--root", str(root), page)
    lm("watch", "--root", str(root), "--once")
    done = {p["images"][0]["file"]: p["images"][0] for p in pages_of(root / "Outbox" / "after")}
    assert done["alpha.png"]["label_source"] == "model-accepted"
    assert [r["label_source"] for r in done["alpha.png"]["regions"]] == ["model-accepted", "model-accepted"]
    assert done["late.png"]["label_source"] == "model-adjusted"


def test_an_import_reaches_pages_already_in_the_queue_but_not_started_ones(tmp_path):
    root, truth, out = exported_and_dropped(tmp_path, "polygon", "labelme", page_size=1)
    lm("watch", "--root", str(root), "--once")
    queue = root / "Watch" / "after" / "queue"
    ids = sorted(p.name for p in queue.glob("page-*"))
    assert len(ids) == len(truth)
    # One page is held by a labeler, one was started in the queue (a comment added): both are left as they are.
    held = lm("next", "--root", str(root), "after", "--as", "ann")
    held_page = Path(held.stdout.split()[0])
    started = sorted(p.name for p in queue.glob("page-*"))[0]
    page = json.loads((queue / started / "page.json").read_text())
    page["comment"] = "looked at this one"
    (queue / started / "page.json").write_text(json.dumps(page, indent=2))

    refused = lm("import", "--root", str(root), "after", "--format", "labelme", str(out), "--as", "done", check=False)
    assert refused.returncode == 1
    assert "ann holds it" in refused.stderr and "nothing was imported" in refused.stderr
    result = lm("import", "--root", str(root), "after", "--format", "labelme", str(out), "--as", "done", "--skip-unmatched")
    assert "1 not matched" in result.stdout, result.stdout
    lm("watch", "--root", str(root), "--once")

    done = {p["page"]: p for p in pages_of(root / "Outbox" / "after")}
    assert started not in done and held_page.name not in done
    assert len(done) == len(truth) - 2
    for page in done.values():
        image = page["images"][0]
        assert image["label_source"] == "import"
        assert_same_regions(image["regions"], truth[image["sha256"]], 1e-3)
    left = json.loads((queue / started / "page.json").read_text())
    assert left["comment"] == "looked at this one" and left["images"][0]["regions"] is None


def test_a_running_daemon_puts_an_import_on_queued_pages(tmp_path):
    root, truth, out = exported_and_dropped(tmp_path, "multi-class", "csv", page_size=2)
    daemon = subprocess.Popen([BIN, "watch", "--root", str(root)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        queue = root / "Watch" / "after" / "queue"
        deadline = time.time() + 60
        while len(list(queue.glob("page-*/page.json"))) < 2 and time.time() < deadline:
            time.sleep(0.2)
        assert len(list(queue.glob("page-*/page.json"))) == 2
        lm("import", "--root", str(root), "after", "--format", "csv", str(out / "labels.csv"), "--as", "prelabels")
        deadline = time.time() + 60
        while time.time() < deadline:
            pages = pages_of(queue)
            if all(image.get("tags") for page in pages for image in page["images"]):
                break
            time.sleep(0.2)
        for page in pages_of(queue):
            for image in page["images"]:
                assert image["tags"] == truth[image["sha256"]]
                assert image["prelabels"] == [{"tag": truth[image["sha256"]][0], "confidence": 1, "model": "import:csv"}]
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)


def label_studio_task(number, image, results):
    return {"id": number, "data": {"image": image},
            "annotations": [{"id": number * 10, "was_cancelled": True, "result": []},
                            {"id": number * 10 + 1, "was_cancelled": False, "result": results}],
            "predictions": []}


def test_label_studio_json_export_imports_in_pixels(tmp_path):
    root = tmp_path / "root"
    boxes = make_project(root, "boxes", "bbox", page_size=1)
    shapes = make_project(root, "shapes", "polygon", page_size=1)
    animals = make_project(root, "animals", "multi-class", page_size=1)
    (boxes / "photos").mkdir()
    (boxes / "photos" / "alpha.png").write_bytes(image_bytes(200, 100, [], 7))
    (shapes / "tri.png").write_bytes(image_bytes(100, 50, [], 8))
    (animals / "cat.png").write_bytes(image_bytes(20, 10, [], 9))
    rect = {"type": "rectanglelabels", "from_name": "label", "to_name": "image", "original_width": 200, "original_height": 100,
            "value": {"x": 10, "y": 20, "width": 25, "height": 50, "rotation": 0, "rectanglelabels": ["Square"]}}
    poly = {"type": "polygonlabels", "from_name": "label", "to_name": "image",
            "value": {"points": [[10, 10], [90, 20], [50, 90]], "polygonlabels": ["Triangle"]}}
    choice = {"type": "choices", "from_name": "choice", "to_name": "image", "value": {"choices": ["Bird"]}}
    files = {
        "boxes": [label_studio_task(1, "/data/local-files/?d=photos/alpha.png", [rect])],
        "shapes": [label_studio_task(2, "/data/upload/3/8f2a1b3c-tri.png", [poly])],
        "animals": [label_studio_task(3, "http://localhost:8080/data/upload/1/cat.png", [choice]),
                    {"id": 4, "data": {"image": "/data/upload/1/dog.png"}, "annotations": []}],
    }
    for project, tasks in files.items():
        path = tmp_path / f"{project}.json"
        path.write_text(json.dumps(tasks))
        result = lm("import", "--root", str(root), project, "--format", "label-studio", str(path))
        assert "imported labels for 1 image as prelabels (model import:label-studio)" in result.stdout, result.stdout
    lm("watch", "--root", str(root), "--once")
    [box_page] = pages_of(root / "Watch" / "boxes" / "queue")
    assert box_page["images"][0]["regions"][0]["box"] == {"x": 20, "y": 20, "width": 50, "height": 50}
    [shape_page] = pages_of(root / "Watch" / "shapes" / "queue")
    assert shape_page["images"][0]["regions"][0]["polygon"] == [[10, 5], [90, 10], [50, 45]]
    [animal_page] = pages_of(root / "Watch" / "animals" / "queue")
    assert animal_page["images"][0]["tags"] == ["Bird"]


def test_refusals_name_the_file_the_place_and_import_nothing(tmp_path):
    root = tmp_path / "root"
    finished_project(root, "before", "bbox")
    out = tmp_path / "export"
    lm("export", "--root", str(root), "before", "--format", "coco", "--out", str(out))
    inbox = make_project(root, "after", "bbox")
    imports = root / ".labelmill" / "imports" / "after"

    def refused(*args):
        result = lm("import", "--root", str(root), "after", *args, check=False)
        assert result.returncode == 1, result.stdout
        assert "nothing was imported" in result.stderr
        assert not imports.exists() or not list(imports.iterdir())
        return result.stderr

    # No image of the project: every image named, and why.
    text = refused("--format", "coco", str(out))
    assert "alpha.png not matched: no image of project after is named alpha.png" in text
    assert "drop the image into Inbox/after/ first" in text
    drop_images(root, inbox, "bbox")
    # The wrong format for the folder.
    assert "annotations.json: no such file" not in refused("--format", "voc", str(out))
    assert "a Pascal VOC export holds Annotations/NAME.xml" in refused("--format", "voc", str(out))
    # Bad JSON: the line and column.
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "annotations.json").write_text('{"images": [\n  {"id": 1,, "file_name": "alpha.png"}]}')
    assert "annotations.json: 2:12: not JSON" in refused("--format", "coco", str(broken))
    # A tag the project does not have, and a box outside the image: the place in the file.
    doc = json.loads((out / "annotations.json").read_text())
    doc["categories"][0]["name"] = "Squirrel"
    doc["annotations"][1]["bbox"] = [90, 50, 40, 30]
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "annotations.json").write_text(json.dumps(doc))
    text = refused("--format", "coco", str(bad / "annotations.json"))
    assert 'annotations[0]: unknown tag "Squirrel"' in text
    assert "annotations[1]: box extends past the right edge" in text
    # Pascal VOC has no polygons.
    make_project(root, "outlines", "polygon")
    result = lm("import", "--root", str(root), "outlines", "--format", "voc", str(out), check=False)
    assert result.returncode == 1 and "Pascal VOC holds boxes only" in result.stderr
    # The good export still imports after all that.
    result = lm("import", "--root", str(root), "after", "--format", "coco", str(out))
    assert "imported labels for 5 images as prelabels" in result.stdout
