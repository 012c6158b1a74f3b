"""Sign-in, the project list, instructions, and classification pages labeled in the browser."""

import re
import subprocess
import urllib.parse

from conftest import Keys, eventually, labelmill_bin

SIZES = [(400, 300)] * 4


def tags_on_disk(ws, project, page):
    return [im["tags"] for im in ws.page(project, "ann", page)["images"]]


def test_sign_in_with_enter_shows_projects_with_progress(screen, workspace):
    workspace.project("animals", "multi-class", ["Mammal", "Bird", "Fish"], SIZES, instructions="# Animals\n\nTag each animal.")
    workspace.project("shapes", "bbox", ["Square", "Circle"], SIZES[:2])
    workspace.start()
    workspace.wait_queue("animals")
    workspace.wait_queue("shapes")
    screen.d.get(workspace.base + "/")
    screen.screenshot("sign-in")
    screen.present("[data-lm-signin]").send_keys("ann" + Keys.ENTER)
    card = screen.present("[data-lm-project='animals']")
    screen.present("[data-lm-project='shapes']")
    assert "multi-class" in card.text.lower()
    assert re.search(r"1\s+queued", card.text), card.text
    screen.screenshot("projects")
    # The name is the labeler folder: a bad one is refused with the rule, nobody is signed in.
    screen.click("[data-lm-action='sign-out']")
    field = screen.present("[data-lm-signin]")
    field.send_keys("../x" + Keys.ENTER)
    screen.wait(lambda: screen.find(".lm-signin .lm-error").text.strip() != "", what="the naming rule")
    assert not screen.finds("[data-lm-project]")


def test_token_link_signs_in_and_leaves_the_address_bar(screen, workspace):
    workspace.project("animals", "multi-class", ["Mammal", "Bird"], SIZES)
    workspace.start()
    out = subprocess.run([labelmill_bin(), "token", "add", "bob", "--root", str(workspace.root)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    token = re.search(r"token=([A-Za-z0-9_\-.~%]+)", out.stdout + out.stderr).group(1)
    screen.d.get(f"{workspace.base}/?token={token}")
    screen.present("[data-lm-project='animals']")
    assert "bob" in screen.find(".lm-user").text
    assert "token" not in urllib.parse.urlparse(screen.d.current_url).query


def test_instructions_page_and_dialog_render_markdown_with_html_escaped(screen, workspace):
    workspace.project("animals", "multi-class", ["Mammal", "Bird"], SIZES,
                      instructions="# How to tag\n\nTag **every** animal. <script>window.hacked = 1</script>\n")
    workspace.start()
    workspace.wait_queue("animals")
    screen.sign_in()
    screen.click("[data-lm-project='animals'] [data-lm-action='instructions']")
    body = screen.present(".lm-markdown strong")
    assert body.text == "every"
    assert "<script>" in screen.find(".lm-markdown").text  # shown as text, not run
    assert screen.d.execute_script("return window.hacked === undefined")
    screen.d.get(workspace.base + "/p/animals")
    screen.wait(lambda: screen.finds("[data-lm-screen][data-lm-ready]"))
    screen.click("[data-lm-action='instructions']")
    dialog = screen.present("dialog .lm-markdown h1")
    assert dialog.text == "How to tag"


def test_multi_class_labeled_and_submitted_end_to_end(screen, workspace):
    workspace.project("animals", "multi-class", ["Mammal", "Bird", "Fish"], SIZES)
    workspace.start()
    workspace.wait_queue("animals")
    screen.sign_in()
    page = screen.open_page("animals")
    assert workspace.held("animals", "ann") == [page]
    tiles = screen.finds("[data-lm-image]")
    assert len(tiles) == 4
    submit = screen.find("[data-lm-action='submit']")
    assert submit.get_attribute("disabled") is not None

    screen.click("[data-lm-image='1']")
    screen.click("[data-lm-image='2']")
    assert screen.find("[data-lm-image='2']").get_attribute("data-lm-selected") == "true"
    screen.keys("1")
    workspace.wait_page("animals", "ann", page, lambda d: d["images"][0]["tags"] == ["Mammal"] and d["images"][1]["tags"] == ["Mammal"])
    # multi-class replaces the tag of the selection
    screen.keys("2")
    workspace.wait_page("animals", "ann", page, lambda d: d["images"][0]["tags"] == ["Bird"] and d["images"][1]["tags"] == ["Bird"])
    # a click toggles: deselect 1 and 2, select all, tag the rest by button
    screen.click("[data-lm-action='select-all']")
    assert all(t.get_attribute("data-lm-selected") == "true" for t in screen.finds("[data-lm-image]"))
    screen.click("[data-lm-tag='Fish']")
    workspace.wait_page("animals", "ann", page, lambda d: all(im["tags"] == ["Fish"] for im in d["images"]))
    assert submit.get_attribute("disabled") is None
    screen.screenshot("multi-class")
    # the X clears a tag: the image is unlabeled again, Submit waits
    screen.click("[data-lm-image='3'] [data-lm-untag='Fish']")
    workspace.wait_page("animals", "ann", page, lambda d: d["images"][2]["tags"] is None)
    screen.wait(lambda: submit.get_attribute("disabled") is not None, what="Submit disabled")
    screen.click("[data-lm-action='select-all']")  # all selected -> deselect all
    screen.click("[data-lm-image='3']")
    screen.keys("1")
    workspace.wait_page("animals", "ann", page, lambda d: d["images"][2]["tags"] == ["Mammal"])
    screen.saved()
    screen.click("[data-lm-action='submit']")
    done = eventually(lambda: (workspace.root / "Outbox" / "animals" / page / "page.json").exists() and workspace.outbox("animals", page), 30, "the page in the outbox")
    assert done["status"] == "done"
    assert [im["tags"] for im in done["images"]] == [["Fish"], ["Fish"], ["Mammal"], ["Fish"]]
    # one page only: the screen says so
    screen.present("[data-lm-message='no-more-pages']")


def test_multi_label_applies_to_the_selection_then_deselects_and_layout_keeps_the_work(screen, workspace):
    workspace.project("scenes", "multi-label", ["Sky", "Tree", "Water"], SIZES)
    workspace.start()
    workspace.wait_queue("scenes")
    screen.sign_in()
    page = screen.open_page("scenes")
    screen.click("[data-lm-image='1']")
    screen.click("[data-lm-image='3']")
    screen.keys("1")
    workspace.wait_page("scenes", "ann", page, lambda d: d["images"][0]["tags"] == ["Sky"] and d["images"][2]["tags"] == ["Sky"])
    screen.wait(lambda: all(t.get_attribute("data-lm-selected") == "false" for t in screen.finds("[data-lm-image]")), what="deselected")
    screen.click("[data-lm-image='1']")
    screen.keys("2")
    workspace.wait_page("scenes", "ann", page, lambda d: d["images"][0]["tags"] == ["Sky", "Tree"])
    # one image at a time: the key tags the image in view; the work stays when switching back
    screen.click("[data-lm-layout='1']")
    screen.wait(lambda: len(screen.finds("[data-lm-image]")) == 1)
    screen.click("[data-lm-action='next-image']")
    screen.present("[data-lm-image='2']")
    screen.keys("3")
    workspace.wait_page("scenes", "ann", page, lambda d: d["images"][1]["tags"] == ["Water"])
    screen.click("[data-lm-layout='4']")
    screen.wait(lambda: len(screen.finds("[data-lm-image]")) == 4)
    assert "Tree" in screen.find("[data-lm-image='1']").text
    screen.click("[data-lm-image='4']")
    screen.keys("3")
    screen.keys("1")  # not applied: multi-label deselected after the 3
    workspace.wait_page("scenes", "ann", page, lambda d: d["images"][3]["tags"] == ["Water"])
    screen.saved()
    assert workspace.page("scenes", "ann", page)["images"][3]["tags"] == ["Water"]
    screen.screenshot("multi-label")
    screen.click("[data-lm-action='submit']")
    done = eventually(lambda: (workspace.root / "Outbox" / "scenes" / page / "page.json").exists() and workspace.outbox("scenes", page), 30, "the outbox")
    assert [im["tags"] for im in done["images"]] == [["Sky", "Tree"], ["Water"], ["Sky"], ["Water"]]


def test_keys_are_ignored_while_typing_a_comment(screen, workspace):
    workspace.project("animals", "multi-class", ["Mammal", "Bird"], SIZES)
    workspace.start()
    workspace.wait_queue("animals")
    screen.sign_in()
    page = screen.open_page("animals")
    screen.click("[data-lm-image='1']")
    field = screen.present("[data-lm-image='1'] [data-lm-comment]")
    field.click()
    field.send_keys("12 a?")
    workspace.wait_page("animals", "ann", page, lambda d: d["images"][0].get("comment") == "12 a?")
    screen.saved()
    doc = workspace.page("animals", "ann", page)
    assert [im["tags"] for im in doc["images"]] == [None] * 4
    assert not screen.finds("dialog[open]")  # '?' typed, no help
    page_comment = screen.find("[data-lm-comment='page']")
    page_comment.click()
    page_comment.send_keys("2 blurry")
    workspace.wait_page("animals", "ann", page, lambda d: d.get("comment") == "2 blurry")
    # outside the field the keys work again; ? lists them
    screen.d.find_element("css selector", "body").click()
    screen.keys("?")
    help_ = screen.present("dialog[open][data-lm-help]")
    assert "Ctrl+Z" in help_.text
    screen.keys(Keys.ESCAPE)
    screen.wait(lambda: not screen.finds("dialog[open]"))


def test_sign_out_returns_the_held_page_to_the_queue_with_its_labels(screen, workspace):
    workspace.project("animals", "multi-class", ["Mammal", "Bird"], SIZES)
    workspace.start()
    workspace.wait_queue("animals")
    screen.sign_in()
    page = screen.open_page("animals")
    assert workspace.queue("animals") == []
    screen.click("[data-lm-image='2']")
    screen.keys("2")
    workspace.wait_page("animals", "ann", page, lambda d: d["images"][1]["tags"] == ["Bird"])
    screen.saved()
    screen.click("[data-lm-action='sign-out']")
    screen.present("[data-lm-signin]")
    eventually(lambda: workspace.queue("animals") == [page], 20, "the page back in the queue")
    assert workspace.held("animals", "ann") == []
    import json
    queued = json.loads((workspace.root / "Watch" / "animals" / "queue" / page / "page.json").read_bytes())
    assert queued["images"][1]["tags"] == ["Bird"]
