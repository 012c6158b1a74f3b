"""The file is the truth: edits on disk while the page is open, server events, rejected pages,
and the work queue when it runs dry."""

import json
import os


from conftest import eventually

SIZES = [(400, 300)] * 4


def write_like_an_editor(path, doc):
    """Replace page.json the way an editor that saves by rename does."""
    tmp = path.with_name(".page.json.swp-test")
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    os.replace(tmp, path)


def test_a_page_edited_on_disk_while_open_shows_the_conflict_and_loses_nothing(screen, workspace):
    workspace.project("animals", "multi-class", ["Mammal", "Bird", "Fish"], SIZES)
    workspace.start()
    workspace.wait_queue("animals")
    # No server events in this test: the stale If-Match alone must catch the change.
    screen.d.execute_cdp_cmd("Network.enable", {})
    screen.d.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/events*"]})
    screen.sign_in()
    page = screen.open_page("animals")
    path = workspace.page_path("animals", "ann", page)
    doc = json.loads(path.read_bytes())
    doc["images"][1]["tags"] = ["Bird"]
    write_like_an_editor(path, doc)
    # the labeler tags image 1 on the screen, which still has the old version
    screen.click("[data-lm-image='1']")
    screen.keys("1")
    screen.present("[data-lm-conflict]")
    screen.wait(lambda: screen.find("[data-lm-status]").get_attribute("data-lm-status") == "conflict", what="status conflict")
    screen.screenshot("conflict")
    # the disk version is kept and shown; ours is not written over it
    on_disk = workspace.page("animals", "ann", page)
    assert [im["tags"] for im in on_disk["images"]] == [None, ["Bird"], None, None]
    screen.wait(lambda: "Bird" in screen.find("[data-lm-image='2']").text, what="the disk version on screen")
    assert screen.find("[data-lm-action='submit']").get_attribute("disabled") is not None
    # ... and "Apply my change again" puts ours on top of it: both survive
    screen.click("[data-lm-action='reapply']")
    workspace.wait_page("animals", "ann", page, lambda d: [im["tags"] for im in d["images"]] == [["Mammal"], ["Bird"], None, None], "both changes on disk")
    screen.saved()
    assert not screen.finds("[data-lm-conflict]")


def test_a_change_on_disk_reloads_the_screen_when_nothing_is_pending(screen, workspace):
    workspace.project("animals", "multi-class", ["Mammal", "Bird", "Fish"], SIZES)
    workspace.start()
    workspace.wait_queue("animals")
    screen.sign_in()
    page = screen.open_page("animals")
    path = workspace.page_path("animals", "ann", page)
    doc = json.loads(path.read_bytes())
    doc["images"][2]["tags"] = ["Fish"]
    doc["comment"] = "edited in vim"
    write_like_an_editor(path, doc)
    screen.wait(lambda: "Fish" in screen.find("[data-lm-image='3']").text, timeout=30, what="the screen reloaded from disk")
    assert screen.find("[data-lm-comment='page']").get_attribute("value") == "edited in vim"
    assert not screen.finds("[data-lm-conflict]")
    # the next edit from the screen applies on top of the disk version
    screen.click("[data-lm-image='1']")
    screen.keys("2")
    workspace.wait_page("animals", "ann", page, lambda d: d["images"][0]["tags"] == ["Bird"] and d["images"][2]["tags"] == ["Fish"] and d["comment"] == "edited in vim")
    screen.saved()


def test_a_rejected_page_shows_each_error_at_its_region(screen, workspace):
    workspace.project("shapes", "bbox", ["Square", "Circle"], [(400, 300), (400, 300)])
    workspace.start()
    workspace.wait_queue("shapes")
    screen.sign_in()
    page = screen.open_page("shapes")
    # submitted from an editor with a box past the right edge: the daemon rejects it
    path = workspace.page_path("shapes", "ann", page)
    doc = json.loads(path.read_bytes())
    doc["images"][0]["regions"] = [{"tag": "Square", "box": {"x": 10, "y": 10, "width": 20, "height": 20}},
                                   {"tag": "Circle", "box": {"x": 390, "y": 10, "width": 50, "height": 20}}]
    doc["images"][1]["regions"] = []
    doc["status"] = "submitted"
    write_like_an_editor(path, doc)
    workspace.wait_page("shapes", "ann", page, lambda d: d["status"] == "rejected", "the daemon's rejection", timeout=30)
    screen.present("[data-lm-rejected]")
    err = screen.present(".lm-region-row[data-lm-region-row='1'] .lm-error")
    assert "right edge" in err.text
    assert "lm-error-shape" in screen.find("[data-lm-region='1']").get_attribute("class")
    assert not screen.finds(".lm-region-row[data-lm-region-row='0'] .lm-error")
    screen.screenshot("rejected")
    # fix it on the screen and submit again
    screen.click(".lm-region-row[data-lm-region-row='1']")
    screen.keys("\ue017")  # Delete
    workspace.wait_page("shapes", "ann", page, lambda d: len(d["images"][0]["regions"]) == 1)
    screen.saved()
    screen.click("[data-lm-action='submit']")
    done = eventually(lambda: (workspace.root / "Outbox" / "shapes" / page / "page.json").exists() and workspace.outbox("shapes", page), 30, "the outbox")
    assert done["status"] == "done" and "errors" not in done


def test_no_more_pages_then_a_new_page_opens_when_it_comes(screen, workspace):
    workspace.project("animals", "multi-class", ["Mammal", "Bird"], [], page_size=2)
    workspace.start()
    screen.sign_in()
    screen.open_project("animals")
    screen.present("[data-lm-message='no-more-pages']")
    screen.screenshot("no-more-pages")
    workspace.add_images("animals", [(200, 150), (200, 150)])
    el = screen.wait(lambda: screen.finds("[data-lm-page]") and screen.finds("[data-lm-page]")[0], timeout=40, what="the new page")
    page = el.get_attribute("data-lm-page")
    assert workspace.held("animals", "ann") == [page]


def test_after_submit_the_next_held_page_opens(screen, workspace):
    workspace.project("animals", "multi-class", ["Mammal", "Bird"], SIZES * 2, page_size=4, pages_per_labeler=2)
    workspace.start()
    workspace.wait_queue("animals", 2)
    screen.sign_in()
    first = screen.open_page("animals")
    assert len(workspace.held("animals", "ann")) == 2
    screen.click("[data-lm-action='select-all']")
    screen.keys("1")
    workspace.wait_page("animals", "ann", first, lambda d: all(im["tags"] == ["Mammal"] for im in d["images"]))
    screen.saved()
    screen.click("[data-lm-action='submit']")
    screen.wait(lambda: screen.finds("[data-lm-page]") and screen.finds("[data-lm-page]")[0].get_attribute("data-lm-page") not in (None, first), what="the second page")
    second = screen.find("[data-lm-page]").get_attribute("data-lm-page")
    assert second != first and second in workspace.held("animals", "ann")
    eventually(lambda: (workspace.root / "Outbox" / "animals" / first / "page.json").exists(), 30, "the first page in the outbox")
