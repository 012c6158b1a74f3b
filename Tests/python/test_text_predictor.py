"""The reference text predictor (predictors/text_lines.py): PP-OCRv4's detector and recognizer.

On scikit-image's `page` (a photographed book page: a title, five lines of a
paragraph, a line of code) it finds the seven lines where they are, marked by eye
on the photo; photos without text (the cat, the coffee cup, the astronaut) get no
confident line. Through the protocol: polygons for polygon projects, boxes for bbox
projects, every point inside the image. Through the built daemon: the page arrives
with its lines filled in as prelabeled polygons.
"""
import numpy as np
import pytest
import skimage.data
from PIL import Image

from reference_predictors import Serving, command_of, load, pages_with_predictions, rgb, sample_photos

# The middle of each line of skimage.data.page() from top to bottom (y, in pixels), marked
# by eye: the title, the paragraph's five lines (the last one short), the code line.
PAGE_LINES_Y = [22, 56, 74, 92, 110, 128, 179]
PAGE_SIZE = (384, 191)


@pytest.fixture(scope="module")
def detector():
    return load("text_lines").Detector()


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    return sample_photos(tmp_path_factory.mktemp("photos"), ["page", "chelsea"])


def middle_y(points):
    ys = [y for _, y in points]
    return (min(ys) + max(ys)) / 2


def inside(points, width, height):
    return all(0 <= x <= width and 0 <= y <= height for x, y in points)


def test_the_pages_seven_lines_are_found_where_they_are(detector):
    lines = [(points, c) for points, c in detector.detect(rgb(skimage.data.page())) if c >= 0.5]
    assert len(lines) == len(PAGE_LINES_Y), lines
    for (points, confidence), y in zip(lines, PAGE_LINES_Y):
        assert abs(middle_y(points) - y) <= 6, (points, y)
        assert inside(points, *PAGE_SIZE) and 3 <= len(points) <= 8
    # the paragraph's four full lines run across the page
    for points, _ in lines[1:5]:
        xs = [x for x, _ in points]
        assert min(xs) <= 10 and max(xs) >= 370, points


@pytest.mark.parametrize("name", ["chelsea", "coffee", "astronaut", "camera"])
def test_photos_without_text_get_no_confident_line(detector, name):
    lines = [(p, c) for p, c in detector.detect(rgb(getattr(skimage.data, name)())) if c >= 0.5]
    assert lines == []


def test_the_detector_alone_would_take_the_cats_face_for_text(detector):
    # Why each line is read: the probability map alone is sure of shapes on the cat.
    prob = detector.probability(rgb(skimage.data.chelsea()))
    assert prob.max() > 0.9


def test_polygons_are_clipped_to_the_image_and_stay_simple():
    clip = load("text_lines").clip_polygon
    assert clip([[-10, 5], [20, 5], [20, 15], [-10, 15]], 100, 100) == [[0.0, 5.0], [20, 5], [20, 15], [0.0, 15.0]]
    corner = clip([[90, -5], [110, 10], [95, 30], [75, 15]], 100, 100)
    assert inside(corner, 100, 100) and len(corner) >= 4
    assert clip([[200, 200], [210, 200], [210, 210]], 100, 100) == []


# ---------------------------------------------------------------- the protocol


@pytest.fixture
def predictor():
    serving = Serving("text_lines")
    yield serving.ask
    assert serving.close() == 0


def request(photos, name="page", **fields):
    width, height = Image.open(photos[name]).size
    return {"id": 5, "op": "predict", "image": str(photos[name]), "width": width, "height": height,
            "task": "polygon", "tags": ["Figure", "Text line"], **fields}


def test_predict_answers_polygons_or_boxes_with_the_text_tag(predictor, photos):
    answer = predictor(request(photos))
    confident = [r for r in answer["regions"] if r["confidence"] >= 0.5]
    assert len(confident) == 7 and all(r["tag"] == "Text line" and inside(r["polygon"], *PAGE_SIZE) for r in confident)
    boxes = [r for r in predictor(request(photos, task="bbox"))["regions"] if r["confidence"] >= 0.5]
    assert len(boxes) == 7
    for region, y in zip(boxes, PAGE_LINES_Y):
        box = region["box"]
        assert abs(box["y"] + box["height"] / 2 - y) <= 6 and box["x"] + box["width"] <= PAGE_SIZE[0] + 1e-6
    assert [r for r in predictor(request(photos, "chelsea"))["regions"] if r["confidence"] >= 0.5] == []
    assert "bbox and polygon" in predictor(request(photos, task="multi-label"))["error"]
    assert 'answers only "predict"' in predictor({"id": 6, "op": "embed", "image": str(photos["page"])})["error"]


# ---------------------------------------------------------------- through the daemon


def test_a_text_project_gets_the_pages_lines_as_prelabeled_polygons(tmp_path, photos):
    seen, _ = pages_with_predictions(tmp_path / "root", command_of("text_lines"), "polygon", ["Text", "Figure"],
                                  {f"{name}.png": path for name, path in photos.items()})
    regions = seen["page.png"]["regions"]
    assert len(regions) == 7, regions
    assert all(r["tag"] == "Text" and r["prelabel"]["model"] == "text_lines" and r["prelabel"]["confidence"] >= 0.5
               for r in regions)
    assert sorted(round(middle_y(r["polygon"])) for r in regions) == pytest.approx(PAGE_LINES_Y, abs=6)
    assert seen["chelsea.png"]["regions"] is None
