"""Browser tests of the labeling screen: the built labelmill runs `watch --serve` on a temp
workspace, headless Debian chromium drives the screen, and the tests read page.json on disk."""

import json
import os
import pathlib
import shutil
import socket
import struct
import subprocess
import time
import urllib.error
import urllib.request
import zlib

import pytest

os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not download a browser or driver

CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ROOT = pathlib.Path(__file__).resolve().parents[2]
SCREENSHOTS = os.environ.get("LM_SCREENSHOT_DIR")

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait
    HAVE_SELENIUM = True
except ImportError:  # pragma: no cover
    HAVE_SELENIUM = False


def labelmill_bin():
    path = os.environ.get("LABELMILL_BIN")
    if path:
        return path
    out = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True)
    return os.path.join(out.stdout.strip(), "labelmill")


def pytest_collection_modifyitems(config, items):
    reason = None
    if not HAVE_SELENIUM:
        reason = "selenium is not installed (bash scripts/setup --python installs it)"
    elif not (os.access(CHROMEDRIVER, os.X_OK) and os.access(CHROMIUM, os.X_OK)):
        reason = "Debian's chromium and chromium-driver are not installed (bash scripts/setup installs them)"
    if reason:
        for item in items:
            item.add_marker(pytest.mark.skip(reason=reason))


# ---------- images ----------

def png(width, height, seed, shape="square"):
    """A PNG whose pixels depend on seed (so every image has its own SHA-256), with a shape in it."""
    r0, g0, b0 = (seed * 67) % 200 + 30, (seed * 131) % 200 + 30, (seed * 29) % 200 + 30
    cx, cy, rad = width * (0.35 + 0.3 * ((seed * 7) % 5) / 4), height * 0.5, min(width, height) * 0.22
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            inside = ((x - cx) ** 2 + (y - cy) ** 2 <= rad * rad) if shape == "circle" else (abs(x - cx) <= rad and abs(y - cy) <= rad)
            if inside:
                row += bytes((250 - r0 // 3, 250 - g0 // 3, 240 - b0 // 3))
            else:
                row += bytes(((r0 + x * 40 // width) % 256, (g0 + y * 40 // height) % 256, b0))
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


# ---------- the workspace and the daemon ----------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def eventually(check, timeout=20.0, what="the condition"):
    """Poll check() until it returns something truthy; return it."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except (OSError, ValueError, KeyError, IndexError) as e:  # a file mid-replace, not yet there
            last = e
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


class Workspace:
    def __init__(self, root):
        self.root = pathlib.Path(root)
        self.proc = None
        self.port = None
        self.log = self.root / "daemon.log"

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def project(self, name, task, tags, images, page_size=None, pages_per_labeler=1, instructions=None, **extra):
        folder = self.root / "Inbox" / name
        folder.mkdir(parents=True, exist_ok=True)
        settings = {"task": task, "tags": tags, "page_size": page_size or len(images),
                    "pages_per_labeler": pages_per_labeler, "lease_minutes": 60, "flush_seconds": 0.2, **extra}
        (folder / "project.json").write_text(json.dumps(settings, indent=2))
        if instructions is not None:
            (folder / "INSTRUCTIONS.md").write_text(instructions)
        self.add_images(name, images)
        return folder

    def add_images(self, name, images, start=0):
        folder = self.root / "Inbox" / name
        for k, (w, h) in enumerate(images):
            seed = start + k + 1 + sum(map(ord, name))
            tmp = folder / f".img-{k}.tmp"
            tmp.write_bytes(png(w, h, seed, "circle" if k % 2 else "square"))
            tmp.rename(folder / f"img-{start + k + 1:03d}.png")

    def start(self):
        self.port = free_port()
        env = dict(os.environ)
        self.proc = subprocess.Popen(
            [labelmill_bin(), "watch", "--serve", f"127.0.0.1:{self.port}", "--root", str(self.root)],
            stdout=open(self.log, "ab"), stderr=subprocess.STDOUT, env=env)

        def answers():
            if self.proc.poll() is not None:
                raise AssertionError(f"labelmill exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(self.base + "/api/session", timeout=2)
            except urllib.error.HTTPError:
                return True  # 401 when signed out: it answers
            except OSError:
                return False
            return True

        eventually(answers, 30, "labelmill serve to answer")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    # -- files --

    def queue(self, project):
        q = self.root / "Watch" / project / "queue"
        return sorted(p.name for p in q.iterdir() if (p / "page.json").exists()) if q.exists() else []

    def held(self, project, labeler):
        d = self.root / "Watch" / project / "labelers" / labeler
        return sorted(p.name for p in d.iterdir() if p.is_dir() and (p / "page.json").exists()) if d.exists() else []

    def page_path(self, project, labeler, page):
        return self.root / "Watch" / project / "labelers" / labeler / page / "page.json"

    def page(self, project, labeler, page):
        return json.loads(self.page_path(project, labeler, page).read_bytes())

    def outbox(self, project, page):
        return json.loads((self.root / "Outbox" / project / page / "page.json").read_bytes())

    def wait_queue(self, project, n=1):
        return eventually(lambda: len(self.queue(project)) >= n and self.queue(project), 30, f"{n} page(s) in the queue of {project}")

    def wait_page(self, project, labeler, page, check, what="page.json on disk", timeout=20):
        """Poll page.json on disk until check(doc) holds; return the doc."""
        seen = {}

        def ok():
            seen["doc"] = doc = self.page(project, labeler, page)
            return doc if check(doc) else None
        try:
            return eventually(ok, timeout, what)
        except AssertionError as e:
            images = [{k: im.get(k) for k in ("tags", "regions") if k in im} for im in seen.get("doc", {}).get("images", [])]
            raise AssertionError(f"{e}; on disk: status {seen.get('doc', {}).get('status')}, images {images}") from None


@pytest.fixture
def workspace(tmp_path):
    ws = Workspace(tmp_path / "root")
    ws.root.mkdir()
    yield ws
    ws.stop()


@pytest.fixture
def driver(tmp_path):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,900", "--force-device-scale-factor=1", "--hide-scrollbars",
                "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(arg)
    # On a busy machine chromium can miss chromedriver's start-up deadline; a second try is not a flake hidden.
    for attempt in range(3):
        try:
            d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
            break
        except Exception:  # SessionNotCreatedException: DevToolsActivePort not written in time
            if attempt == 2:
                raise
            time.sleep(1)
    d.set_page_load_timeout(30)
    yield d
    d.quit()


class Screen:
    """The labeling screen as a labeler drives it: mouse and keys, explicit waits."""

    def __init__(self, driver, ws):
        self.d = driver
        self.ws = ws

    def wait(self, check, timeout=20, what="the screen"):
        try:
            return WebDriverWait(self.d, timeout, poll_frequency=0.05,
                                 ignored_exceptions=(StaleElementReferenceException, NoSuchElementException)).until(lambda d: check())
        except Exception as e:
            raise AssertionError(f"timed out waiting for {what}; status: {self.status_text()}") from e

    def find(self, css):
        return self.d.find_element(By.CSS_SELECTOR, css)

    def finds(self, css):
        return self.d.find_elements(By.CSS_SELECTOR, css)

    def present(self, css):
        return self.wait(lambda: self.finds(css) and self.finds(css)[0], what=css)

    def status_text(self):
        try:
            el = self.d.find_elements(By.CSS_SELECTOR, "[data-lm-status]")
            return el[0].get_attribute("data-lm-status") + ": " + el[0].text if el else "(no status)"
        except Exception:  # the page is mid-navigation
            return "(unknown)"

    def sign_in(self, name="ann"):
        self.d.get(self.ws.base + "/")
        field = self.present("[data-lm-signin]")
        field.send_keys(name + Keys.ENTER)
        self.present("[data-lm-action='sign-out']")

    def open_project(self, project):
        link = self.present(f"[data-lm-project='{project}'] a")
        link.click()
        self.wait(lambda: self.finds("[data-lm-screen][data-lm-ready]"), what="the labeling screen")

    def open_page(self, project):
        self.open_project(project)
        el = self.present("[data-lm-page]")
        return el.get_attribute("data-lm-page")

    def click(self, css):
        el = self.present(css)
        self.wait(lambda: el.is_enabled(), what=f"{css} enabled")
        el.click()

    def keys(self, *keys):
        ActionChains(self.d).send_keys(*keys).perform()

    def key_combo(self, modifier, key):
        ActionChains(self.d).key_down(modifier).send_keys(key).key_up(modifier).perform()

    def saved(self, timeout=20):
        self.wait(lambda: self.find("[data-lm-status]").get_attribute("data-lm-status") == "saved", timeout, "status saved")

    def rect(self, css):
        return self.d.execute_script("const r = document.querySelector(arguments[0]).getBoundingClientRect();"
                                     "return {left: r.left, top: r.top, width: r.width, height: r.height};", css)

    def to_screen(self, image_x, image_y, width, height):
        """Viewport coordinates of an image pixel, from the surface's on-screen rectangle."""
        r = self.rect("[data-lm-surface]")
        return r["left"] + image_x * r["width"] / width, r["top"] + image_y * r["height"] / height

    def to_image(self, sx, sy, width, height):
        r = self.rect("[data-lm-surface]")
        return (sx - r["left"]) * width / r["width"], (sy - r["top"]) * height / r["height"]

    def drag(self, x1, y1, x2, y2, steps=6):
        ab = ActionBuilder(self.d)
        ab.pointer_action.move_to_location(int(x1), int(y1))
        ab.pointer_action.pointer_down()
        for k in range(1, steps + 1):
            ab.pointer_action.move_to_location(int(x1 + (x2 - x1) * k / steps), int(y1 + (y2 - y1) * k / steps))
        ab.pointer_action.pointer_up()
        ab.perform()

    def click_at(self, x, y):
        ab = ActionBuilder(self.d)
        ab.pointer_action.move_to_location(int(x), int(y))
        ab.pointer_action.click()
        ab.perform()

    def move_to(self, x, y):
        ab = ActionBuilder(self.d)
        ab.pointer_action.move_to_location(int(x), int(y))
        ab.perform()

    def double_click_at(self, x, y):
        ab = ActionBuilder(self.d)
        ab.pointer_action.move_to_location(int(x), int(y))
        ab.pointer_action.double_click()
        ab.perform()

    def screenshot(self, name):
        if SCREENSHOTS:
            path = pathlib.Path(SCREENSHOTS)
            path.mkdir(parents=True, exist_ok=True)
            time.sleep(0.3)  # let images and transitions settle for the picture
            self.d.save_screenshot(str(path / f"{name}.png"))


@pytest.fixture
def screen(driver, workspace):
    return Screen(driver, workspace)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test shows what the daemon said, for the races only a busy machine shows."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        ws = item.funcargs.get("workspace")
        log = getattr(ws, "log", None)
        if log is not None and log.exists():
            report.sections.append(("labelmill watch --serve log (last 6000 characters)", log.read_text(errors="replace")[-6000:]))
