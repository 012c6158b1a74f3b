"""Polygons by clicks: finishing, adding and removing points, retag, refusing a bad one."""

from conftest import Keys, eventually

W, H = 400, 300


def wait_regions(ws, page, check, i=0, what="regions on disk"):
    return ws.wait_page("roofs", "ann", page, lambda d: check(d["images"][i]["regions"]), what)["images"][i]["regions"]


def at(screen, x, y):
    return [int(v) for v in screen.to_screen(x, y, W, H)]


def as_image(screen, x, y):
    return screen.to_image(*at(screen, x, y), W, H)


def close_to(points, expected, tol=1.0):
    return len(points) == len(expected) and all(abs(p[0] - e[0]) <= tol and abs(p[1] - e[1]) <= tol for p, e in zip(points, expected))


def test_polygon_by_clicks_then_points_retag_delete_and_submit(screen, workspace):
    workspace.project("roofs", "polygon", ["Roof", "Tree"], [(W, H), (W, H)])
    workspace.start()
    workspace.wait_queue("roofs")
    screen.sign_in()
    page = screen.open_page("roofs")
    screen.present("[data-lm-surface]")
    corners = [(50, 50), (150, 50), (150, 150), (50, 150)]
    expected = [as_image(screen, x, y) for x, y in corners]
    for x, y in corners[:3]:
        screen.click_at(*at(screen, x, y))
    screen.double_click_at(*at(screen, *corners[3]))
    got = wait_regions(workspace, page, lambda r: r and len(r) == 1)
    assert got[0]["tag"] == "Roof"
    assert close_to(got[0]["polygon"], expected), got
    screen.present("[data-lm-region='0']")

    # U: a click on an edge adds a point there, a click on a point removes it
    screen.keys("u")
    screen.click_at(*at(screen, 100, 50))
    got = wait_regions(workspace, page, lambda r: len(r[0]["polygon"]) == 5)
    assert abs(got[0]["polygon"][1][0] - 100) <= 1 and abs(got[0]["polygon"][1][1] - 50) <= 1
    screen.click_at(*at(screen, 150, 150))
    got = wait_regions(workspace, page, lambda r: len(r[0]["polygon"]) == 4)
    assert all(abs(p[0] - 150) > 1 or abs(p[1] - 150) > 1 for p in got[0]["polygon"])
    # a number key retags the selected polygon
    screen.keys("2")
    wait_regions(workspace, page, lambda r: r[0]["tag"] == "Tree")

    # a polygon whose edges cross is refused with a message; nothing is written
    screen.keys("p")
    for x, y in [(200, 200), (320, 280), (320, 200), (200, 260)]:
        screen.click_at(*at(screen, x, y))
    screen.keys(Keys.ENTER)
    toast = screen.present(".lm-toast:not([hidden])")
    assert "cross" in toast.text
    screen.keys(Keys.ESCAPE)
    assert len(workspace.page("roofs", "ann", page)["images"][0]["regions"]) == 1

    # a click on the first point closes a polygon too; the tag is the last one chosen
    tri = [(220, 60), (320, 60), (270, 130)]
    for x, y in tri:
        screen.click_at(*at(screen, x, y))
    screen.click_at(*at(screen, *tri[0]))
    got = wait_regions(workspace, page, lambda r: len(r) == 2)
    assert len(got[1]["polygon"]) == 3 and got[1]["tag"] == "Tree"
    screen.screenshot("polygon")
    # Delete removes the selected (new) one; Delete all clears; undo brings them back
    screen.keys(Keys.DELETE)
    wait_regions(workspace, page, lambda r: len(r) == 1)
    screen.click("[data-lm-action='delete-all']")
    wait_regions(workspace, page, lambda r: r == [])
    screen.click("[data-lm-action='undo']")
    got = wait_regions(workspace, page, lambda r: len(r) == 1)
    assert got[0]["tag"] == "Tree"

    # the second image has nothing to mark; then Submit
    screen.click("[data-lm-image='2']")
    screen.keys("n")
    wait_regions(workspace, page, lambda r: r == [], i=1)
    screen.saved()
    screen.click("[data-lm-action='submit']")
    done = eventually(lambda: (workspace.root / "Outbox" / "roofs" / page / "page.json").exists() and workspace.outbox("roofs", page), 30, "the outbox")
    assert done["status"] == "done"
    assert len(done["images"][0]["regions"][0]["polygon"]) == 4 and done["images"][1]["regions"] == []
