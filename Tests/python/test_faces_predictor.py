"""The reference face predictor (predictors/faces.py): OpenCV's Haar cascade as SPEC section 8's predictor.

On real photos that scikit-image ships: the astronaut's face (a box marked by eye on
the photo, brows to chin and cheek to cheek) is found where it is; lfw_subset's 100
faces are found and its 100 non-faces are not; sample photos without a face get no
confident box. Through the protocol: boxes for bbox projects, ovals for polygon
projects, errors for what it does not answer. Through the built daemon: a face
project's page arrives with the face filled in as a prelabeled region.
"""
import numpy as np
import pytest
import skimage.data
from PIL import Image

from reference_predictors import Serving, command_of, load, pages_with_predictions, rgb, sample_photos

# The astronaut's face, marked by eye on skimage.data.astronaut(): x, y, width, height.
ASTRONAUT_FACE = (182, 75, 90, 92)
NO_FACE_PHOTOS = ["coffee", "chelsea", "rocket", "camera", "coins", "hubble_deep_field", "immunohistochemistry",
                  "retina", "page", "text", "brick", "grass", "gravel", "colorwheel", "logo", "cat", "horse",
                  "moon", "clock"]


@pytest.fixture(scope="module")
def faces():
    return load("faces")


@pytest.fixture(scope="module")
def detector(faces):
    return faces.Detector()


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    return sample_photos(tmp_path_factory.mktemp("photos"), ["astronaut", "coffee"])


def iou(a, b):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    return w * h / (aw * ah + bw * bh - w * h)


def as_tuple(box):
    return (box["x"], box["y"], box["width"], box["height"])


def lfw_image(face, faces_module):
    """A 25x25 lfw_subset crop as a photo would show it: 4x larger, with a margin of its own edge."""
    import cv2

    grey = cv2.resize((face * 255).astype(np.uint8), (100, 100), interpolation=cv2.INTER_CUBIC)
    return rgb(cv2.copyMakeBorder(grey, 25, 25, 25, 25, cv2.BORDER_REPLICATE))


# ---------------------------------------------------------------- the detector on real photos


def test_the_astronauts_face_is_found_where_it_is(detector):
    found = detector.detect(skimage.data.astronaut())
    assert len(found) == 1, found
    x, y, w, h, confidence = found[0]
    assert iou((x, y, w, h), ASTRONAUT_FACE) >= 0.6
    assert confidence >= 0.8


def test_lfw_subset_faces_are_found_and_non_faces_are_not(detector, faces):
    lfw = skimage.data.lfw_subset()  # 100 faces, then 100 non-faces
    centre = (25, 25, 100, 100)  # where the crop's face is in lfw_image
    recalled = 0
    for face in lfw[:100]:
        found = [f for f in detector.detect(lfw_image(face, faces)) if f[4] >= 0.5]
        recalled += any(iou(f[:4], centre) >= 0.4 for f in found)
    false_alarms = sum(any(f[4] >= 0.5 for f in detector.detect(lfw_image(image, faces))) for image in lfw[100:])
    assert recalled >= 90, f"{recalled} of 100 faces found"
    assert false_alarms <= 2, f"{false_alarms} of 100 non-faces given a confident box"


def test_photos_without_a_face_get_no_confident_box(detector):
    confident = {name: [f for f in detector.detect(rgb(getattr(skimage.data, name)())) if f[4] > 0.5]
                 for name in NO_FACE_PHOTOS}
    assert sum(len(v) for v in confident.values()) <= 1, {k: v for k, v in confident.items() if v}


def test_a_large_photo_is_searched_scaled_down_and_answered_in_its_own_pixels(detector):
    big = np.asarray(Image.fromarray(skimage.data.astronaut()).resize((2048, 2048), Image.BICUBIC))
    found = [f for f in detector.detect(big) if f[4] >= 0.5]
    assert len(found) == 1, found
    assert iou(found[0][:4], tuple(4 * v for v in ASTRONAUT_FACE)) >= 0.6


# ---------------------------------------------------------------- the protocol


@pytest.fixture
def predictor():
    serving = Serving("faces")
    yield serving.ask
    assert serving.close() == 0


def request(photos, name="astronaut", **fields):
    return {"id": 7, "op": "predict", "image": str(photos[name]), "width": 512 if name == "astronaut" else 600,
            "height": 512 if name == "astronaut" else 400, "task": "bbox", "tags": ["Person", "Face"], **fields}


def test_predict_answers_the_face_as_a_box_with_the_face_tag(predictor, photos):
    answer = predictor(request(photos))
    assert answer["id"] == 7 and len(answer["regions"]) == 1, answer
    region = answer["regions"][0]
    assert region["tag"] == "Face" and 0.8 <= region["confidence"] <= 1
    assert iou(as_tuple(region["box"]), ASTRONAUT_FACE) >= 0.6
    assert predictor(request(photos, "coffee", id=8)) == {"id": 8, "regions": []}
    # Without a tag named Face, the project's first tag.
    assert predictor(request(photos, tags=["Person", "Dog"]))["regions"][0]["tag"] == "Person"


def test_polygon_projects_get_an_oval_inside_the_box(predictor, photos):
    region = predictor(request(photos, task="polygon"))["regions"][0]
    points = np.array(region["polygon"])
    assert len(points) == 16 and "box" not in region
    x, y, w, h = ASTRONAUT_FACE
    inside = ((points[:, 0] >= x - 10) & (points[:, 0] <= x + w + 10) & (points[:, 1] >= y - 12) & (points[:, 1] <= y + h + 12))
    assert inside.all(), points
    # convex: every turn the same way, so never self-crossing
    def turn(a, b, c):
        return (b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0])

    turns = [turn(points[k], points[(k + 1) % 16], points[(k + 2) % 16]) for k in range(16)]
    assert all(t > 0 for t in turns) or all(t < 0 for t in turns)


@pytest.mark.parametrize("line, words", [
    ({"id": 3, "op": "embed", "image": "/tmp/x.png"}, 'answers only "predict"'),
    ({"id": 3, "op": "predict", "image": "/tmp/x.png", "task": "multi-class", "tags": ["Face"]}, "bbox and polygon"),
    ({"id": 3, "op": "predict", "image": "/nonexistent/x.png", "task": "bbox", "tags": ["Face"]}, "no such file"),
    ({"id": 3, "op": "predict", "image": "relative.png", "task": "bbox", "tags": ["Face"]}, "not an absolute path"),
    (b'{"id": 3, "op": "predict", "image": ', "not JSON"),
])
def test_what_it_cannot_answer_gets_an_error_and_it_goes_on(predictor, photos, line, words):
    answer = predictor(line)
    assert answer["id"] == 3 and words in answer["error"], answer
    assert len(predictor(request(photos, id=4))["regions"]) == 1


def test_no_tags_or_another_size_than_the_file_is_refused(predictor, photos):
    assert "no tags" in predictor(request(photos, tags=[]))["error"]
    answer = predictor(request(photos, width=500))
    assert "is 512x512, the request says 500x512" in answer["error"]


# ---------------------------------------------------------------- through the daemon


def test_a_face_project_gets_the_face_filled_in_as_a_prelabeled_box(tmp_path, photos):
    seen, _ = pages_with_predictions(tmp_path / "root", command_of("faces"), "bbox", ["Face", "Other"],
                                  {f"{name}.png": path for name, path in photos.items()})
    face = seen["astronaut.png"]
    assert len(face["regions"]) == 1, face
    region = face["regions"][0]
    assert region["tag"] == "Face" and region["prelabel"]["model"] == "faces" and region["prelabel"]["confidence"] >= 0.8
    assert iou(as_tuple(region["box"]), ASTRONAUT_FACE) >= 0.6
    assert seen["coffee.png"]["regions"] is None
