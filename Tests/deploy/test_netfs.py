"""SPEC section 10 on a real network file system: a root served by a real
sshd on 127.0.0.1 and mounted with sshfs (FUSE), the daemon running on the
mount while an admin and a labeler write on the server side, where inotify on
the mount sees nothing. sshfs has no RENAME_NOREPLACE, shows each hard link
as a file of its own and syncs nothing on syncfs: the daemon's fallbacks
carry the whole flow and the kill -9 test. Needs root (CI has it) for sshd
and the FUSE mount."""
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from support import png, start_sshd

REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("LABELMILL_BIN") or str(REPO / ".build" / "debug" / "labelmill")
pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="runs sshd and mounts FUSE: run as root (CI does)"),
    pytest.mark.skipif(shutil.which("sshfs") is None or not Path("/usr/sbin/sshd").exists() or not Path("/dev/fuse").exists(),
                       reason="needs sshfs, fuse3 and openssh-server (Debian packages) and /dev/fuse"),
]


@pytest.fixture
def mount():
    """A root on the server side, served by sshd and mounted with sshfs."""
    assert os.access(BIN, os.X_OK), f"build labelmill first ({BIN})"
    base = Path(tempfile.mkdtemp(prefix="lm-netfs-", dir="/tmp"))
    server, mnt, keys = base / "server", base / "mnt", base / "keys"
    for folder in [server, mnt, keys]:
        folder.mkdir()
    sshd = None
    mounted = False
    try:
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(base / "key")], check=True)
        (keys / "root").write_text((base / "key.pub").read_text())
        sshd, port = start_sshd(base, keys, ["PermitRootLogin prohibit-password", "Subsystem sftp internal-sftp"])
        # dir_cache=no: the README's mount line (a cached listing hides new files for up to 20 s).
        done = subprocess.run(["sshfs", f"root@127.0.0.1:{server}", str(mnt), "-p", str(port),
                               "-o", f"IdentityFile={base / 'key'},StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null,"
                                     "BatchMode=yes,dir_cache=no"],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"sshfs: {done.stderr}\n{(base / 'sshd.log').read_text()}"
        mounted = True
        kind = subprocess.run(["stat", "-f", "-c", "%T", str(mnt)], capture_output=True, text=True).stdout.strip()
        assert kind.startswith("fuse"), kind
        yield {"server": server, "mnt": mnt, "base": base}
    finally:
        if mounted:
            subprocess.run(["fusermount3", "-u", "-z", str(mnt)], capture_output=True)
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True)
        if sshd:
            sshd.terminate()
            sshd.wait(10)
        shutil.rmtree(base, ignore_errors=True)


def lm(root, *args, check=True):
    done = subprocess.run([BIN, *[str(a) for a in args], "--root", str(root)], capture_output=True, text=True, timeout=300)
    if check:
        assert done.returncode == 0, f"{args}: {done.stdout}{done.stderr}"
    return done


def drop(server, name, data):
    """An admin's finished image on the server side: written aside, renamed in (as rsync and cp --atomic do)."""
    target = server / "Inbox" / "p" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    aside = target.parent / f".{target.name}.part"
    aside.write_bytes(data)
    os.rename(aside, target)


def save(folder, page):
    """A labeler's editor on the server side: a temp file renamed over page.json."""
    temp = folder / ".page.json.tmp"
    temp.write_text(json.dumps(page, indent=2))
    os.rename(temp, folder / "page.json")


def eventually(what, condition, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s: {what}")


def pages(folder):
    return sorted(p for p in Path(folder).iterdir() if p.name.startswith("page-")) if Path(folder).is_dir() else []


def sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def start_watch(mnt, *args):
    log = open(Path(mnt).parent / "watch.log", "a")
    return subprocess.Popen([BIN, "watch", "--root", str(mnt), *args], stdout=log, stderr=log)


def stop(daemon):
    daemon.send_signal(signal.SIGTERM)
    daemon.wait(60)


def test_the_whole_flow_runs_on_an_sshfs_mount_with_writes_made_beside_it(mount):
    server, mnt = mount["server"], mount["mnt"]
    lm(server, "project", "create", "p", "--task", "multi-class", "--tags", "Cat,Dog", "--page-size", "2")
    (server / "Inbox" / "p" / "project.json").write_text(json.dumps(
        {**json.loads((server / "Inbox" / "p" / "project.json").read_text()), "flush_seconds": 1}, indent=2))
    daemon = start_watch(mnt, "--poll", "1")
    try:
        images = {f"img{i}.png": png(i) for i in range(6)}
        for name, data in images.items():
            drop(server, name, data)
        queue = server / "Watch" / "p" / "queue"
        eventually("three pages queued", lambda: len(pages(queue)) == 3)
        eventually("the inbox emptied", lambda: not list((server / "Inbox" / "p").glob("*.png")))

        # A labeler signs in by making her folder on the server side; the daemon fills it.
        ann = server / "Watch" / "p" / "labelers" / "ann"
        ann.mkdir(parents=True)
        held = eventually("ann's pages", lambda: pages(ann) if len(pages(ann)) >= 1 else None)
        for folder in held:
            page = json.loads((folder / "page.json").read_text())
            for image in page["images"]:
                image["tags"] = ["Dog"]
            page["status"] = "submitted"
            save(folder, page)
        outbox = server / "Outbox" / "p"
        eventually("ann's pages in the outbox", lambda: all((outbox / f.name / "page.json").exists() for f in held))
        for folder in held:
            done = json.loads((outbox / folder.name / "page.json").read_text())
            assert done["status"] == "done" and all(i["tags"] == ["Dog"] for i in done["images"])
            assert sorted(i["file"] for i in done["images"]) == sorted(p.name for p in (outbox / folder.name).glob("*.png"))

        # A save that is not strict JSON gets ERRORS.txt; one with untagged images is rejected.
        (page_folder,) = eventually("a second page for ann", lambda: [f for f in pages(ann) if f not in held][:1] or None)
        broken = json.loads((page_folder / "page.json").read_text())
        broken["status"] = "submitted"
        text = json.dumps(broken, indent=2)
        temp = page_folder / ".page.json.tmp"
        temp.write_text(text[: len(text) // 2])
        os.rename(temp, page_folder / "page.json")
        eventually("ERRORS.txt for a truncated page.json", lambda: (page_folder / "ERRORS.txt").exists())
        save(page_folder, broken)
        rejected = eventually("the page rejected", lambda: (lambda p: p if p.get("status") == "rejected" else None)(
            json.loads((page_folder / "page.json").read_text())))
        assert any("has no tag yet" in e["message"] for e in rejected["errors"]), rejected["errors"]
        eventually("ERRORS.txt removed", lambda: not (page_folder / "ERRORS.txt").exists())
        assert not (outbox / page_folder.name).exists()
    finally:
        stop(daemon)
    log = (mnt.parent / "watch.log").read_text()
    assert "using safe fallbacks" in log, log

    # Every image is in exactly one place: the outbox or a page still out.
    places = {}
    for folder in pages(server / "Outbox" / "p") + pages(server / "Watch" / "p" / "queue") + pages(ann):
        for image in folder.glob("*.png"):
            places.setdefault(sha(image), []).append(str(image))
    assert sorted(places) == sorted(hashlib.sha256(d).hexdigest() for d in images.values())
    assert all(len(where) == 1 for where in places.values()), places


def test_without_poll_the_daemon_says_the_mount_needs_it_and_polls(mount):
    server, mnt = mount["server"], mount["mnt"]
    lm(server, "project", "create", "p", "--task", "multi-class", "--tags", "Cat,Dog", "--page-size", "1")
    daemon = start_watch(mnt)
    try:
        drop(server, "one.png", png(1))
        eventually("the image paged from the server side", lambda: len(pages(server / "Watch" / "p" / "queue")) == 1)
    finally:
        stop(daemon)
    log = (mnt.parent / "watch.log").read_text()
    assert "where inotify does not see what other machines write" in log and "--poll" in log, log


def test_doctor_says_an_sshfs_mount_needs_poll(mount):
    found = subprocess.run([BIN, "doctor", "--root", str(mount["mnt"])], capture_output=True, text=True, timeout=120)
    assert found.returncode == 1, found.stdout + found.stderr
    assert "labelmill watch --poll 2" in found.stdout and "dir_cache=no" in found.stdout, found.stdout
    # The same root seen on the server's own disk needs none of that.
    local = subprocess.run([BIN, "doctor", "--root", str(mount["server"])], capture_output=True, text=True, timeout=120)
    assert "--poll" not in local.stdout, local.stdout


def test_kill_nine_on_the_mount_loses_nothing(mount):
    server, mnt = mount["server"], mount["mnt"]
    lm(server, "project", "create", "p", "--task", "multi-class", "--tags", "A,B", "--page-size", "3")
    settings = server / "Inbox" / "p" / "project.json"
    settings.write_text(json.dumps({**json.loads(settings.read_text()), "flush_seconds": 0}, indent=2))
    rng = random.Random(16)
    dropped = {}
    seed = 0
    queue = server / "Watch" / "p" / "queue"
    for round in range(12):
        for i in range(rng.randint(1, 5)):
            seed += 1
            data = png(seed, size=6 + seed % 9)
            name = f"r{round}-{i}.png" if round % 2 == 0 else f"batch{round % 3}/r{round}-{i}.png"
            drop(server, name, data)
            dropped[hashlib.sha256(data).hexdigest()] = name
        # Labelers submit some pages on the server side.
        for folder in rng.sample(pages(queue), min(2, len(pages(queue)))):
            try:
                page = json.loads((folder / "page.json").read_text())
            except (OSError, ValueError):
                continue
            for image in page["images"]:
                image["tags"] = ["A"]
            page["status"] = "submitted"
            try:
                save(folder, page)
            except OSError:
                pass  # the daemon moved the page meanwhile
        daemon = start_watch(mnt, "--poll", "0.5")
        time.sleep(rng.uniform(0.3, 3.0))
        daemon.send_signal(signal.SIGKILL)
        daemon.wait(30)
    # Clean runs finish whatever the kills interrupted.
    lm(mnt, "watch", "--once")
    lm(mnt, "watch", "--once")

    assert sorted(p.name for p in (server / "Inbox" / "p").rglob("*") if p.is_file()) == ["project.json"]
    places = {}
    folders = pages(queue) + pages(server / "Outbox" / "p")
    for folder in folders + [server / "Outbox" / "p" / "rejected"]:
        for image in folder.glob("*.png") if folder.exists() else []:
            places.setdefault(sha(image), []).append(str(image))
    assert not list((server / "Watch" / "p" / "conflicts").glob("*")), list((server / "Watch" / "p" / "conflicts").glob("*"))
    for digest, source in dropped.items():
        assert len(places.get(digest, [])) == 1, f"{source} is in {places.get(digest)}"
    assert len(places) == len(dropped)
    for folder in folders:
        page = json.loads((folder / "page.json").read_text())
        assert {i["file"] for i in page["images"]} == {p.name for p in folder.glob("*.png")}, folder
    assert pages(server / "Outbox" / "p"), "some pages were accepted"


def test_the_labeler_commands_work_on_the_mount(mount):
    server, mnt = mount["server"], mount["mnt"]
    lm(server, "project", "create", "p", "--task", "multi-class", "--tags", "Cat,Dog", "--page-size", "2")
    for i in range(4):
        drop(server, f"img{i}.png", png(i))
    lm(mnt, "watch", "--once")
    signed = lm(mnt, "next", "p", "--as", "bob")
    (folder,) = [Path(line) for line in signed.stdout.split()]
    assert folder.parent == mnt / "Watch" / "p" / "labelers" / "bob"
    lm(mnt, "tag", folder, "--images", "1", "--tag", "Cat")
    left = lm(mnt, "leave", "p", "--as", "bob")
    assert "1 page returned to the queue" in left.stderr
    queued = server / "Watch" / "p" / "queue" / folder.name
    assert json.loads((queued / "page.json").read_text())["images"][0]["tags"] == ["Cat"], "labels kept"
    assert [p.name for p in (server / "Watch" / "p" / "labelers" / "bob").iterdir()] == ["SIGNED-OUT.txt"]
    (project,) = json.loads(lm(mnt, "status", "p", "--json").stdout)["projects"]
    assert (project["queued"], project["inbox"], project["done"]) == (2, 0, 0), project
