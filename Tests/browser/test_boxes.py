"""Bounding boxes drawn, adjusted and deleted with the mouse and keys; checked on disk."""

import time

from selenium.webdriver.common.actions.wheel_input import ScrollOrigin

from conftest import ActionChains, Keys, eventually

W, H = 400, 300


def regions(ws, page, i=0):
    return ws.page("shapes", "ann", page)["images"][i]["regions"]


def wait_regions(ws, page, check, i=0, what="regions on disk"):
    return ws.wait_page("shapes", "ann", page, lambda d: check(d["images"][i]["regions"]), what)["images"][i]["regions"]


def near(box, x, y, w, h, tol=1.0):
    return abs(box["x"] - x) <= tol and abs(box["y"] - y) <= tol and abs(box["width"] - w) <= tol and abs(box["height"] - h) <= tol


def start(screen, workspace, images=((W, H), (W, H))):
    workspace.project("shapes", "bbox", ["Square", "Circle", "Other"], list(images))
    workspace.start()
    workspace.wait_queue("shapes")
    screen.sign_in()
    page = screen.open_page("shapes")
    screen.present("[data-lm-surface]")
    # the whole image is visible at the fit zoom
    s = screen.rect("[data-lm-surface]")
    v = screen.rect(".lm-viewport")
    assert s["left"] >= v["left"] - 0.5 and s["top"] >= v["top"] - 0.5
    assert s["left"] + s["width"] <= v["left"] + v["width"] + 0.5 and s["top"] + s["height"] <= v["top"] + v["height"] + 0.5
    assert abs(s["width"] / s["height"] - W / H) < 0.01
    return page


def draw(screen, x1, y1, x2, y2):
    """Drag from image point (x1, y1) to (x2, y2); return the box the drag means in image pixels."""
    a = [int(v) for v in screen.to_screen(x1, y1, W, H)]
    b = [int(v) for v in screen.to_screen(x2, y2, W, H)]
    ia = screen.to_image(*a, W, H)
    ib = screen.to_image(*b, W, H)
    screen.drag(*a, *b)
    return min(ia[0], ib[0]), min(ia[1], ib[1]), abs(ib[0] - ia[0]), abs(ib[1] - ia[1])


def test_a_box_drawn_by_dragging_lands_within_a_pixel_also_after_zooming(screen, workspace):
    page = start(screen, workspace)
    expect = draw(screen, 50, 40, 210.4, 160.7)
    got = wait_regions(workspace, page, lambda r: r and len(r) == 1)
    assert got[0]["tag"] == "Square"
    assert near(got[0]["box"], *expect), (got, expect)
    screen.present("[data-lm-region='0']")
    # zoom in at the pointer with the wheel: the point under the pointer stays put
    before = screen.rect("[data-lm-surface]")
    px, py = [int(v) for v in screen.to_screen(300, 220, W, H)]
    ix, iy = screen.to_image(px, py, W, H)
    ActionChains(screen.d).scroll_from_origin(ScrollOrigin.from_viewport(px, py), 0, -400).perform()
    screen.wait(lambda: screen.rect("[data-lm-surface]")["width"] > before["width"] * 1.5, what="zoomed in")
    jx, jy = screen.to_image(px, py, W, H)
    assert abs(jx - ix) < 1 and abs(jy - iy) < 1
    expect2 = draw(screen, 290, 215, 330, 245)
    got = wait_regions(workspace, page, lambda r: len(r) == 2)
    assert near(got[1]["box"], *expect2, tol=0.5), (got, expect2)
    # a box dragged past the image's edge is clamped to it
    screen.keys("0")
    screen.wait(lambda: abs(screen.rect("[data-lm-surface]")["width"] - before["width"]) < 1, what="fit again")
    sx, sy = screen.to_screen(360, 250, W, H)
    v = screen.rect(".lm-viewport")
    screen.drag(sx, sy, v["left"] + v["width"] - 3, v["top"] + v["height"] - 3)
    got = wait_regions(workspace, page, lambda r: len(r) == 3)
    b = got[2]["box"]
    assert b["x"] + b["width"] == W and b["y"] + b["height"] == H, b
    screen.screenshot("bbox")


def test_template_retag_adjust_nudge_lock_delete_and_undo(screen, workspace):
    page = start(screen, workspace)
    # T with nothing drawn yet: 50 x 50 at the pointer
    screen.move_to(*screen.to_screen(100, 100, W, H))
    screen.keys("t")
    got = wait_regions(workspace, page, lambda r: r and len(r) == 1)
    assert near(got[0]["box"], 75, 75, 50, 50)
    screen.keys("z")  # not a key of the screen: nothing happens
    screen.key_combo(Keys.CONTROL, "z")
    wait_regions(workspace, page, lambda r: r is None)
    screen.keys("r")
    expect = draw(screen, 20, 20, 120, 100)
    got = wait_regions(workspace, page, lambda r: r and len(r) == 1)
    assert near(got[0]["box"], *expect)
    # a number key retags the selected (just drawn) region and becomes the tag of the next one
    screen.keys("2")
    wait_regions(workspace, page, lambda r: r[0]["tag"] == "Circle")
    # T: the size of the last box drawn, centred at the pointer
    screen.move_to(*screen.to_screen(300, 200, W, H))
    screen.keys("t")
    got = wait_regions(workspace, page, lambda r: len(r) == 2)
    w, h = got[0]["box"]["width"], got[0]["box"]["height"]
    assert near(got[1]["box"], 300 - w / 2, 200 - h / 2, w, h) and got[1]["tag"] == "Circle"
    # M: select region 0 by clicking inside, drag its right edge
    screen.keys("m")
    b0 = got[0]["box"]
    screen.click_at(*screen.to_screen(b0["x"] + 10, b0["y"] + 10, W, H))
    edge = screen.to_screen(b0["x"] + b0["width"], b0["y"] + b0["height"] / 2, W, H)
    target = screen.to_screen(b0["x"] + b0["width"] + 40, b0["y"] + b0["height"] / 2, W, H)
    screen.drag(*edge, *target)
    got = wait_regions(workspace, page, lambda r: abs(r[0]["box"]["width"] - (b0["width"] + 40)) <= 1.5)
    assert abs(got[0]["box"]["x"] - b0["x"]) < 0.01 and abs(got[0]["box"]["height"] - b0["height"]) < 0.01
    # drag inside moves it, keeping the size
    b0 = got[0]["box"]
    inside = screen.to_screen(b0["x"] + 20, b0["y"] + 20, W, H)
    screen.drag(*inside, *screen.to_screen(b0["x"] + 50, b0["y"] + 30, W, H))
    got = wait_regions(workspace, page, lambda r: abs(r[0]["box"]["x"] - (b0["x"] + 30)) <= 1.5)
    assert abs(got[0]["box"]["y"] - (b0["y"] + 10)) <= 1.5 and got[0]["box"]["width"] == b0["width"]
    # arrow keys nudge by 1 pixel, with Shift by 10
    b0 = got[0]["box"]
    screen.keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    screen.key_combo(Keys.SHIFT, Keys.ARROW_DOWN)
    got = wait_regions(workspace, page, lambda r: abs(r[0]["box"]["y"] - (b0["y"] + 10)) < 0.01 and abs(r[0]["box"]["x"] - (b0["x"] + 2)) < 0.01)
    # L locks: a drag inside no longer moves, Delete does nothing; drawing still works
    screen.keys("l")
    screen.saved()
    b0 = got[0]["box"]
    screen.drag(*screen.to_screen(b0["x"] + 20, b0["y"] + 20, W, H), *screen.to_screen(b0["x"] + 60, b0["y"] + 60, W, H))
    screen.keys(Keys.DELETE)
    time.sleep(0.4)
    screen.saved()
    assert regions(workspace, page)[0]["box"] == b0
    screen.keys("l")
    # Delete removes the selected region
    b1 = got[1]["box"]
    screen.click_at(*screen.to_screen(b1["x"] + 5, b1["y"] + 5, W, H))
    screen.wait(lambda: "lm-selected" in (screen.find("[data-lm-region='1']").get_attribute("class") or ""), what="region 1 selected")
    screen.keys(Keys.DELETE)
    got = wait_regions(workspace, page, lambda r: len(r) == 1)
    assert got[0]["box"] == b0
    # undo and redo, by keys and buttons; each saved
    screen.key_combo(Keys.CONTROL, "z")
    wait_regions(workspace, page, lambda r: len(r) == 2)
    screen.click("[data-lm-action='redo']")
    wait_regions(workspace, page, lambda r: len(r) == 1)
    screen.click("[data-lm-action='undo']")
    wait_regions(workspace, page, lambda r: len(r) == 2)
    ActionChains(screen.d).key_down(Keys.CONTROL).key_down(Keys.SHIFT).send_keys("z").key_up(Keys.SHIFT).key_up(Keys.CONTROL).perform()
    wait_regions(workspace, page, lambda r: len(r) == 1)
    # Delete all: nothing left to mark; undo brings them back
    screen.click("[data-lm-action='undo']")
    wait_regions(workspace, page, lambda r: len(r) == 2)
    screen.click("[data-lm-action='delete-all']")
    wait_regions(workspace, page, lambda r: r == [])
    screen.click("[data-lm-action='undo']")
    wait_regions(workspace, page, lambda r: len(r) == 2)


def test_bbox_page_labeled_and_submitted_end_to_end(screen, workspace):
    page = start(screen, workspace, images=((W, H), (W, H), (W, H)))
    submit = screen.find("[data-lm-action='submit']")
    draw(screen, 30, 30, 130, 90)
    screen.keys("3")
    wait_regions(workspace, page, lambda r: r and r[0]["tag"] == "Other")
    assert submit.get_attribute("disabled") is not None
    screen.click("[data-lm-action='next-image']")
    screen.wait(lambda: screen.find("[data-lm-image='2']").get_attribute("data-lm-selected") == "true", what="image 2 shown")
    screen.keys("n")  # nothing to mark here
    wait_regions(workspace, page, lambda r: r == [], i=1)
    assert submit.get_attribute("disabled") is not None
    screen.keys(Keys.PAGE_DOWN)
    screen.wait(lambda: screen.find("[data-lm-image='3']").get_attribute("data-lm-selected") == "true", what="image 3 shown")
    screen.keys("1")
    draw(screen, 200, 100, 260, 200)
    wait_regions(workspace, page, lambda r: r and r[0]["tag"] == "Square", i=2)
    screen.wait(lambda: submit.get_attribute("disabled") is None, what="Submit enabled")
    screen.saved()
    screen.click("[data-lm-action='submit']")
    done = eventually(lambda: (workspace.root / "Outbox" / "shapes" / page / "page.json").exists() and workspace.outbox("shapes", page), 30, "the outbox")
    assert done["status"] == "done"
    assert [len(im["regions"]) for im in done["images"]] == [1, 0, 1]
    assert done["images"][0]["regions"][0]["tag"] == "Other"
    screen.present("[data-lm-message='no-more-pages']")


def test_prelabels_are_drawn_apart_and_a_accepts_them(screen, workspace):
    import json
    page = start(screen, workspace)
    # a model's suggestions, as the daemon writes them into page.json
    path = workspace.page_path("shapes", "ann", page)
    doc = json.loads(path.read_bytes())
    doc["images"][0]["prelabels"] = [
        {"tag": "Square", "confidence": 0.91, "model": "demo-1", "box": {"x": 40, "y": 30, "width": 120, "height": 90}},
        {"tag": "Circle", "confidence": 0.64, "model": "demo-1", "box": {"x": 220, "y": 120, "width": 80, "height": 80}}]
    tmp = path.with_name(".page.json.tmp-test")
    tmp.write_text(json.dumps(doc, indent=2))
    tmp.replace(path)
    screen.wait(lambda: len(screen.finds("[data-lm-prelabel]")) == 2, timeout=30, what="the suggestions drawn")
    screen.screenshot("bbox-suggestions")
    # drawn apart: dashed, not among the regions, not labels yet
    assert not screen.finds("[data-lm-region]")
    assert screen.d.execute_script("return getComputedStyle(document.querySelector('[data-lm-prelabel]')).strokeDasharray") not in ("none", "")
    assert workspace.page("shapes", "ann", page)["images"][0]["regions"] is None
    screen.keys("a")
    got = wait_regions(workspace, page, lambda r: r and len(r) == 2)
    # an accepted suggestion keeps the model's note, so the daemon can tell kept from adjusted
    assert got[0] == {"tag": "Square", "box": {"x": 40, "y": 30, "width": 120, "height": 90},
                      "prelabel": {"confidence": 0.91, "model": "demo-1"}}
    assert got[1]["tag"] == "Circle" and got[1]["prelabel"] == {"confidence": 0.64, "model": "demo-1"}
    screen.screenshot("bbox-suggestions-accepted")
    screen.wait(lambda: not screen.finds("[data-lm-prelabel]"), what="accepted suggestions no longer drawn apart")
    assert len(screen.finds("[data-lm-region]")) == 2
