"""Model suggestions on classification pages (SPEC sections 7 and 9): an image whose tags are
still the daemon's top prelabel is drawn as a suggestion; a number key or the X makes it a
human label; the page.json the screen writes keeps `prelabels` and `assist` as the daemon
wrote them, and acceptance records `label_source` from what the labeler kept.

The first test puts prelabels into page.json as the daemon writes them (quick); the second
gets a page prelabeled by the real daemon: scikit-learn digits rendered by
scripts/make-digits.py, labeled honestly by a script through `watch --once` until a model is
trained and a prelabeled page reaches the labeler's folder."""

import csv
import json
import subprocess
import sys

from conftest import ROOT, eventually, labelmill_bin

SIZES = [(400, 300)] * 4
WORDS = ["zero", "one", "two", "three"]


def write_page(path, doc):
    tmp = path.with_name(".page.json.tmp-test")
    tmp.write_text(json.dumps(doc, indent=2))
    tmp.replace(path)


def tile(screen, n):
    return screen.find(f"[data-lm-image='{n}']")


def state_of(screen, n):
    el = tile(screen, n)
    return el.get_attribute("data-lm-suggestion"), el.get_attribute("data-lm-suggestion-state")


def test_injected_suggestions_are_drawn_apart_until_changed_or_cleared(screen, workspace):
    workspace.project("animals", "multi-class", ["Mammal", "Bird", "Fish"], SIZES)
    workspace.start()
    workspace.wait_queue("animals")
    screen.sign_in()
    page = screen.open_page("animals")
    path = workspace.page_path("animals", "ann", page)
    doc = json.loads(path.read_bytes())
    # What the daemon writes on a prelabeled page: assist at the top, the top tag filled in.
    doc["assist"] = {"clustered": True, "prelabeled": True, "model": "builtin-3"}
    tops = ["Bird", "Fish", "Mammal"]
    for k, top in enumerate(tops):
        rest = [t for t in ["Mammal", "Bird", "Fish"] if t != top]
        doc["images"][k]["prelabels"] = [{"tag": top, "confidence": 0.98 - k * 0.05, "model": "builtin-3"},
                                          {"tag": rest[0], "confidence": 0.015, "model": "builtin-3"},
                                          {"tag": rest[1], "confidence": 0.005, "model": "builtin-3"}]
        doc["images"][k]["tags"] = [top]
    write_page(path, doc)
    screen.wait(lambda: state_of(screen, 3) == ("Mammal", "suggested"), timeout=30, what="the suggestions shown")
    assert state_of(screen, 1) == ("Bird", "suggested")
    assert state_of(screen, 2) == ("Fish", "suggested")
    assert state_of(screen, 4) == (None, None)  # no prelabels: a plain unlabeled image
    chip = screen.find("[data-lm-image='1'] .lm-chip-suggested")
    assert "suggested" in chip.text.lower() and "98%" in chip.text
    assert "builtin-3" in chip.get_attribute("title")
    assert "dashed" in screen.d.execute_script("return getComputedStyle(arguments[0]).borderStyle", chip)
    note = screen.find("[data-lm-assist-note]")
    assert "3 suggestions from model builtin-3" in note.text and "check them" in note.text
    assert note.text.endswith("makes the label yours."), note.text
    assert screen.find("[data-lm-action='submit']").get_attribute("disabled") is not None  # image 4 has no tag yet

    # The X clears the suggestion: a human decision, shown small beside "Not labeled".
    screen.click("[data-lm-image='2'] [data-lm-untag='Fish']")
    on_disk = workspace.wait_page("animals", "ann", page, lambda d: d["images"][1]["tags"] is None)
    assert on_disk["images"][1]["prelabels"] == doc["images"][1]["prelabels"]
    assert on_disk["assist"] == doc["assist"]
    screen.wait(lambda: state_of(screen, 2) == ("Fish", "changed"), what="image 2 changed")
    assert "suggested: Fish 93%" in tile(screen, 2).text
    assert not screen.finds("[data-lm-image='2'] .lm-chip-suggested")
    # A accepts the suggestion again on the unlabeled image: a suggestion once more.
    screen.keys("a")
    workspace.wait_page("animals", "ann", page, lambda d: d["images"][1]["tags"] == ["Fish"])
    screen.wait(lambda: state_of(screen, 2) == ("Fish", "suggested"), what="image 2 suggested again")

    # A number key on a selected image replaces the suggestion with a human label.
    screen.click("[data-lm-image='3']")
    screen.keys("2")
    on_disk = workspace.wait_page("animals", "ann", page, lambda d: d["images"][2]["tags"] == ["Bird"])
    assert on_disk["images"][2]["prelabels"] == doc["images"][2]["prelabels"]
    screen.wait(lambda: state_of(screen, 3) == ("Mammal", "changed"), what="image 3 changed")
    assert "1 changed by you" in screen.find("[data-lm-assist-note]").text
    # Undo brings the suggestion back, as the file says.
    screen.click("[data-lm-action='undo']")
    workspace.wait_page("animals", "ann", page, lambda d: d["images"][2]["tags"] == ["Mammal"])
    screen.wait(lambda: state_of(screen, 3) == ("Mammal", "suggested"), what="image 3 suggested after undo")
    screen.click("[data-lm-action='redo']")
    workspace.wait_page("animals", "ann", page, lambda d: d["images"][2]["tags"] == ["Bird"])

    # Tag the image without suggestions; Submit is enabled with the suggestions counted as labels.
    screen.click("[data-lm-image='3']")  # deselect 3
    screen.click("[data-lm-image='4']")
    screen.keys("1")
    workspace.wait_page("animals", "ann", page, lambda d: d["images"][3]["tags"] == ["Mammal"])
    screen.saved()
    screen.wait(lambda: screen.find("[data-lm-action='submit']").get_attribute("disabled") is None, what="Submit enabled")
    screen.screenshot("multi-class-suggestions")
    final = workspace.page("animals", "ann", page)
    assert final["assist"] == doc["assist"]
    assert [im.get("prelabels") for im in final["images"]] == [im.get("prelabels") for im in doc["images"]]
    screen.click("[data-lm-action='submit']")
    done = eventually(lambda: (workspace.root / "Outbox" / "animals" / page / "page.json").exists() and workspace.outbox("animals", page),
                      30, "the page in the outbox")
    # Passed the daemon's checks with prelabels and assist in it (label_source comes from the
    # daemon's own copy, which has no prelabels here: the real daemon's test checks it).
    assert done["status"] == "done"
    assert [im["tags"] for im in done["images"]] == [["Bird"], ["Fish"], ["Bird"], ["Mammal"]]


# ---------- a page the real daemon prelabeled ----------

def render_digits(base, count):
    out, truth = base / "digits", base / "digits-truth.csv"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make-digits.py"), "--out", str(out), "--truth", str(truth),
                    "--count", str(count), "--classes", "0,1,2,3", "--shuffle", "7"], check=True, capture_output=True)
    with open(truth) as f:
        rows = list(csv.DictReader(f))
    return out, {row["sha256"]: WORDS[int(row["label"])] for row in rows}, [row["file"] for row in rows]


def once(root):
    run = subprocess.run([labelmill_bin(), "watch", "--root", str(root), "--once"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    return run.stderr


def open_pages(folder):
    pages = sorted(p for p in folder.iterdir() if p.name.startswith("page-")) if folder.exists() else []
    return [(p, json.loads((p / "page.json").read_bytes())) for p in pages
            if json.loads((p / "page.json").read_bytes())["status"] == "open"]


def label_until_prelabeled(root, labeler, truth, rounds=80):
    """Labels and submits, from the truth, every page the labeler gets, running `watch --once`
    between rounds, until a page the model prelabeled is in the labeler's folder; returns it."""
    folder = root / "Watch" / "digits" / "labelers" / labeler
    folder.mkdir(parents=True, exist_ok=True)
    for _ in range(rounds):
        once(root)
        found = None
        for page, doc in open_pages(folder):
            if (doc.get("assist") or {}).get("prelabeled"):
                found = found or doc["page"]
                continue
            for image in doc["images"]:
                image["tags"] = [truth[image["sha256"]]]
            doc["status"] = "submitted"
            write_page(page / "page.json", doc)
        if found:
            return found
    raise AssertionError(f"no prelabeled page after {rounds} rounds; status:\n"
                         + subprocess.run([labelmill_bin(), "status", "--root", str(root)], capture_output=True, text=True).stdout)


def test_a_page_the_daemon_prelabeled_is_checked_and_corrected_in_the_browser(screen, workspace, tmp_path):
    images, truth, names = render_digits(tmp_path, 300)
    inbox = workspace.root / "Inbox" / "digits"
    inbox.mkdir(parents=True)
    (inbox / "project.json").write_text(json.dumps({
        "task": "multi-class", "tags": WORDS, "page_size": 4, "pages_per_labeler": 1, "lease_minutes": 60, "flush_seconds": 0,
        "assist": {"min_labeled": 60, "retrain_every": 1000, "target_precision": 0.9, "queue_pages": 2}}, indent=2))
    for name in names:
        temp = inbox / f".{name}.part"
        temp.write_bytes((images / name).read_bytes())
        temp.rename(inbox / name)
    expected = label_until_prelabeled(workspace.root, "ann", truth)
    before = workspace.page("digits", "ann", expected)
    model = before["assist"]["model"]
    assert all(im.get("prelabels") and im["tags"] == [im["prelabels"][0]["tag"]] for im in before["images"]), before

    workspace.start()
    screen.sign_in("ann")
    page = screen.open_page("digits")
    assert page == expected
    n = len(before["images"])
    for k, im in enumerate(before["images"]):
        assert state_of(screen, k + 1) == (im["prelabels"][0]["tag"], "suggested")
    first = screen.find("[data-lm-image='1'] .lm-chip-suggested")
    assert before["images"][0]["prelabels"][0]["tag"] in first.text and "%" in first.text
    assert model in first.get_attribute("title")
    note = screen.find("[data-lm-assist-note]").text
    assert f"{n} suggestion" in note and model in note and "null" not in note, note
    assert screen.find("[data-lm-action='submit']").get_attribute("disabled") is None  # prelabeled images count as labeled
    screen.screenshot("multi-class-prelabeled")

    # Another tag on image 1 with its number key: a human label now, the suggestion still in the file.
    top = before["images"][0]["prelabels"][0]["tag"]
    other = WORDS[(WORDS.index(top) + 1) % len(WORDS)]
    screen.click("[data-lm-image='1']")
    screen.keys(str(WORDS.index(other) + 1))
    screen.wait(lambda: state_of(screen, 1) == (top, "changed"), what="image 1 changed")
    on_disk = workspace.wait_page("digits", "ann", page, lambda d: d["images"][0]["tags"] == [other])
    assert on_disk["images"][0]["prelabels"] == before["images"][0]["prelabels"]
    assert on_disk["assist"] == before["assist"]
    assert [im["prelabels"] for im in on_disk["images"]] == [im["prelabels"] for im in before["images"]]
    assert f"suggested: {top}" in tile(screen, 1).text
    assert not screen.finds("[data-lm-image='1'] .lm-chip-suggested")
    for k in range(2, n + 1):
        assert state_of(screen, k)[1] == "suggested"
    screen.saved()
    screen.screenshot("multi-class-prelabeled-changed")

    screen.click("[data-lm-action='submit']")
    done = eventually(lambda: (workspace.root / "Outbox" / "digits" / page / "page.json").exists() and workspace.outbox("digits", page),
                      60, "the page in the outbox")
    assert done["status"] == "done"
    assert done["images"][0]["tags"] == [other]
    assert [im["label_source"] for im in done["images"]] == ["model-corrected"] + ["model-accepted"] * (n - 1)
