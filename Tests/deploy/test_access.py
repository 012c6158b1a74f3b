"""SPEC section 10 with real Unix users: `labelmill setup` lays out a root,
the daemon runs as its own user, an admin drops images, labelers sign in as
themselves and label their own pages, and the kernel refuses everything
else. Needs root (CI has it) for useradd and runuser."""
import json
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from support import png, tree_digest

REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("LABELMILL_BIN") or str(REPO / ".build" / "debug" / "labelmill")
pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="creates Unix users and runs as them: run as root (CI does)"),
    pytest.mark.skipif(shutil.which("runuser") is None or shutil.which("getfacl") is None,
                       reason="needs runuser (util-linux) and getfacl (Debian package acl)"),
]

DAEMON, ADMIN, ANN, BOB = "lmacc-daemon", "lmacc-adm", "lmacc-ann", "lmacc-bob"
ADMINS, LABELERS = "lmacc-admins", "lmacc-labelers"


def run(*args, user=None, check=False):
    command = (["runuser", "-u", user, "--"] if user else []) + [str(a) for a in args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd="/")
    if check:
        assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
    return done


def lm(root, *args, user=None, check=False):
    return run(BIN, *args, "--root", root, user=user, check=check)


def remove_accounts():
    for name in [DAEMON, ADMIN, ANN, BOB]:
        subprocess.run(["userdel", "-r", name], capture_output=True)
    for group in [ADMINS, LABELERS]:
        subprocess.run(["groupdel", group], capture_output=True)


@pytest.fixture
def site():
    """Users and groups, a temp root set up by `labelmill setup`, with a
    project made by an admin and four images the admin dropped."""
    assert os.access(BIN, os.X_OK), f"build labelmill first ({BIN})"
    base = Path(tempfile.mkdtemp(prefix="lm-access-", dir="/tmp"))
    os.chmod(base, 0o755)
    remove_accounts()
    try:
        for group in [ADMINS, LABELERS]:
            subprocess.run(["groupadd", group], check=True)
        subprocess.run(["useradd", "--system", "-M", "-s", "/usr/sbin/nologin", DAEMON], check=True)
        subprocess.run(["useradd", "-M", "-G", ADMINS, ADMIN], check=True)
        for name in [ANN, BOB]:
            subprocess.run(["useradd", "-M", "-G", LABELERS, name], check=True)
        root = base / "root"
        setup = lm(root, "setup", "--daemon-user", DAEMON, "--admins", ADMINS, "--labelers", LABELERS, check=True)
        lm(root, "project", "create", "p", "--task", "multi-class", "--tags", "Cat,Dog", "--page-size", "2",
           user=ADMIN, check=True)
        source = base / "source"
        source.mkdir()
        for i in range(4):
            (source / f"img{i}.png").write_bytes(png(i))
        os.chmod(source, 0o755)
        for i in range(4):
            run("cp", source / f"img{i}.png", root / "Inbox" / "p" / f"img{i}.png", user=ADMIN, check=True)
        yield {"root": root, "base": base, "setup": setup}
    finally:
        remove_accounts()
        shutil.rmtree(base, ignore_errors=True)


def held(root, name):
    folder = Path(root) / "Watch" / "p" / "labelers" / name
    return sorted(p for p in folder.iterdir() if p.name.startswith("page-")) if folder.exists() else []


def test_setup_lays_out_the_root_and_says_so_and_again_changes_nothing(site):
    root = site["root"]
    out = site["setup"].stdout
    assert "Inbox" in out and "Outbox" in out and "Watch" in out and DAEMON in out
    daemon = pwd.getpwnam(DAEMON).pw_uid
    for folder in ["Watch", "Outbox", ".labelmill"]:
        assert (root / folder).stat().st_uid == daemon, folder
    assert (root / ".labelmill").stat().st_mode & 0o777 == 0o700
    inbox = root / "Inbox"
    assert inbox.stat().st_mode & 0o7777 == 0o2770
    acl = run("getfacl", "-p", inbox, check=True).stdout
    assert f"user:{DAEMON}:rwx" in acl and f"default:user:{DAEMON}:rwx" in acl
    # The admin's project folder kept the group (setgid) and the daemon's ACL.
    assert (inbox / "p").stat().st_gid == (inbox).stat().st_gid
    assert f"user:{DAEMON}:rwx" in run("getfacl", "-p", inbox / "p", check=True).stdout
    before = {p: (p.lstat().st_mode, p.lstat().st_uid, run("getfacl", "-p", p).stdout) for p in [root, inbox, root / "Watch", root / "Outbox"]}
    again = lm(root, "setup", "--daemon-user", DAEMON, "--admins", ADMINS, "--labelers", LABELERS, check=True)
    assert again.stdout.strip()
    assert before == {p: (p.lstat().st_mode, p.lstat().st_uid, run("getfacl", "-p", p).stdout) for p in before}


def test_setup_needs_real_accounts_and_root(site):
    refused = lm(site["root"], "setup", "--daemon-user", "lmacc-nobody", "--admins", ADMINS, "--labelers", LABELERS)
    assert refused.returncode == 1 and "no Unix user lmacc-nobody" in refused.stderr
    not_root = lm(site["root"], "setup", "--daemon-user", DAEMON, "--admins", ADMINS, "--labelers", LABELERS, user=ANN)
    assert not_root.returncode == 1 and "as root" in not_root.stderr


def test_labelers_label_their_own_pages_and_the_kernel_refuses_the_rest(site):
    root = site["root"]
    lm(root, "watch", "--once", user=DAEMON, check=True)
    assert len(list((root / "Watch" / "p" / "queue").iterdir())) == 2
    assert not list((root / "Inbox" / "p").glob("*.png")), "the daemon took the admin's images"

    # Each signs in as herself; the daemon fills the folders.
    for name in [ANN, BOB]:
        signed = lm(root, "next", "p", "--as", name, user=name)
        assert signed.returncode == 0, signed.stderr
    lm(root, "watch", "--once", user=DAEMON, check=True)
    (ann_page,), (bob_page,) = held(root, ANN), held(root, BOB)
    bob_folder = bob_page.parent
    bob_before = tree_digest(bob_folder, owners=True)
    assert f"user:{ANN}:rwx" in run("getfacl", "-p", ann_page, check=True).stdout

    # Ann sees her page and labels it: by hand, then with the verbs.
    listed = lm(root, "next", "p", "--as", ANN, user=ANN)
    assert listed.returncode == 0 and str(ann_page) in listed.stdout
    page = json.loads(run("cat", ann_page / "page.json", user=ANN, check=True).stdout)
    page["images"][0]["tags"] = ["Dog"]
    edit = subprocess.run(["runuser", "-u", ANN, "--", "python3", "-c",
                           "import sys; open(sys.argv[1], 'w').write(sys.stdin.read())", str(ann_page / "page.json")],
                          input=json.dumps(page, indent=2), capture_output=True, text=True)
    assert edit.returncode == 0, edit.stderr
    run("sh", "-c", f'cat "{ann_page / page["images"][1]["file"]}" > /dev/null', user=ANN, check=True)
    lm(root, "tag", ann_page, "--images", "2", "--tag", "Cat", user=ANN, check=True)
    lm(root, "submit", ann_page, user=ANN, check=True)

    # Bob's folder: no read, no write, no rename, no delete.
    attempts = [
        ["ls", bob_folder],
        ["cat", bob_page / "page.json"],
        ["touch", bob_folder / "planted"],
        ["sh", "-c", f"echo '{{}}' > {bob_page / 'page.json'}"],
        ["mv", bob_folder, root / "Watch" / "p" / "labelers" / "stolen"],
        ["mv", bob_page, ann_page.parent / "stolen"],
        ["rm", "-rf", bob_folder],
        ["ls", root / "Watch" / "p" / "labelers"],
        # Inbox and Outbox are not hers to write.
        ["cp", ann_page / page["images"][1]["file"], root / "Inbox" / "p" / "mine.png"],
        ["touch", root / "Outbox" / "planted"],
        ["touch", root / "Watch" / "p" / "queue" / "planted"],
        ["ls", root / ".labelmill"],
    ]
    for attempt in attempts:
        done = run(*attempt, user=ANN)
        assert done.returncode != 0, attempt
        assert "Permission denied" in done.stderr or "Operation not permitted" in done.stderr, (attempt, done.stderr)
    # Taking bob's name is refused.
    taken = lm(root, "next", "p", "--as", BOB, user=ANN)
    assert taken.returncode == 1 and f"you are Unix user {ANN}" in taken.stderr
    taken_away = lm(root, "leave", "p", "--as", BOB, user=ANN)
    assert taken_away.returncode != 0
    assert tree_digest(bob_folder, owners=True) == bob_before
    assert held(root, BOB) == [bob_page]

    # The daemon, as its own user, accepts ann's page; the grant does not follow it.
    lm(root, "watch", "--once", user=DAEMON, check=True)
    done = root / "Outbox" / "p" / ann_page.name
    assert json.loads((done / "page.json").read_text())["status"] == "done"
    assert ANN not in run("getfacl", "-p", done, check=True).stdout
    # Labelers read the outbox, write nothing there.
    read = run("cat", done / "page.json", user=ANN)
    assert read.returncode == 0 and '"done"' in read.stdout
    assert run("touch", done / "planted", user=ANN).returncode != 0
    assert tree_digest(bob_folder, owners=True) == bob_before


def test_a_labeler_signs_out_and_the_daemon_returns_her_pages(site):
    root = site["root"]
    lm(root, "watch", "--once", user=DAEMON, check=True)
    lm(root, "next", "p", "--as", ANN, user=ANN, check=True)
    lm(root, "watch", "--once", user=DAEMON, check=True)
    (page,) = held(root, ANN)
    lm(root, "tag", page, "--images", "1", "--tag", "Dog", user=ANN, check=True)
    # Nobody signs another out.
    refused = lm(root, "leave", "p", "--as", ANN, user=BOB)
    assert refused.returncode == 1 and f"you are Unix user {BOB}, so you cannot sign out as {ANN}" in refused.stderr
    left = lm(root, "leave", "p", "--as", ANN, user=ANN)
    assert left.returncode == 0 and "the daemon returns 1 page to the queue" in left.stderr, left.stderr
    note = root / "Watch" / "p" / "labelers" / ANN / "SIGNED-OUT.txt"
    assert note.read_text().startswith("Leaving:")
    lm(root, "watch", "--once", user=DAEMON, check=True)
    assert held(root, ANN) == [], "the daemon returned the page"
    queued = root / "Watch" / "p" / "queue" / page.name
    assert json.loads(queued.joinpath("page.json").read_text())["images"][0]["tags"] == ["Dog"], "labels kept"
    assert note.read_text().startswith("Signed out with `labelmill leave`")
    assert ANN not in run("getfacl", "-p", queued, check=True).stdout or run("ls", queued, user=ANN).returncode != 0
    # Signed out, she gets no new pages; signing in again brings them back.
    lm(root, "watch", "--once", user=DAEMON, check=True)
    assert held(root, ANN) == []
    lm(root, "next", "p", "--as", ANN, user=ANN, check=True)
    lm(root, "watch", "--once", user=DAEMON, check=True)
    assert len(held(root, ANN)) == 1
    events = [json.loads(line) for line in (root / "Outbox" / "p" / "events.jsonl").read_text().splitlines()]
    assert any(e["event"] == "returned" and e.get("labeler") == ANN for e in events)


def test_status_in_a_shared_root_counts_as_the_daemon_and_says_so_to_others(site):
    root = site["root"]
    lm(root, "watch", "--once", user=DAEMON, check=True)
    status = lm(root, "status", "p", "--json", user=DAEMON)
    assert status.returncode == 0, status.stderr
    (project,) = json.loads(status.stdout)["projects"]
    assert project["queued"] == 2 and project["inbox"] == 0, project
    # An admin cannot list the daemon's queue: no zeros that are not true, but what to run.
    refused = lm(root, "status", "p", user=ADMIN)
    assert refused.returncode == 1 and "permission denied" in refused.stderr, refused.stdout + refused.stderr
    assert f"sudo -u {DAEMON} labelmill status" in refused.stderr and refused.stdout == ""


def test_only_admins_write_the_inbox(site):
    root = site["root"]
    extra = site["base"] / "source" / "img0.png"
    # (The daemon may write there: it must, to remove the images it has taken.)
    for name in [ANN, BOB]:
        done = run("cp", extra, root / "Inbox" / "p" / f"{name}.png", user=name)
        assert done.returncode != 0 and "Permission denied" in done.stderr, name
    made = lm(root, "project", "create", "q", "--task", "multi-class", "--tags", "A,B", user=ANN)
    assert made.returncode != 0
    # An admin creates a project and drops an image at any depth; the daemon takes it.
    lm(root, "project", "create", "q", "--task", "multi-class", "--tags", "A,B", "--page-size", "1", user=ADMIN, check=True)
    run("mkdir", "-p", root / "Inbox" / "q" / "deep", user=ADMIN, check=True)
    run("cp", extra, root / "Inbox" / "q" / "deep" / "one.png", user=ADMIN, check=True)
    lm(root, "watch", "--once", user=DAEMON, check=True)
    assert len(list((root / "Watch" / "q" / "queue").iterdir())) == 1


def test_a_folder_under_another_labelers_name_gets_no_pages(site):
    root = site["root"]
    lm(root, "watch", "--once", user=DAEMON, check=True)
    # Bob makes a folder named after ann before she signs in.
    squat = root / "Watch" / "p" / "labelers" / ANN
    run("mkdir", squat, user=BOB, check=True)
    lm(root, "watch", "--once", user=DAEMON, check=True)
    assert held(root, ANN) == []
    refused = lm(root, "next", "p", "--as", ANN, user=ANN)
    assert refused.returncode == 1 and f"belongs to Unix user {BOB}" in refused.stderr


def doctor(root, env=None):
    return subprocess.run([BIN, "doctor", "--root", str(root)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def test_doctor_finds_nothing_wrong_in_a_set_up_root_and_names_each_planted_problem(site):
    root = site["root"]
    lm(root, "watch", "--once", user=DAEMON, check=True)
    lm(root, "next", "p", "--as", BOB, user=BOB, check=True)
    clean = doctor(root)
    assert clean.returncode == 0 and "no problems" in clean.stdout, clean.stdout + clean.stderr

    bob = root / "Watch" / "p" / "labelers" / BOB
    os.chmod(bob, 0o755)
    found = doctor(root)
    assert found.returncode == 1 and f"{bob} can be entered by every user" in found.stdout, found.stdout
    os.chmod(bob, 0o700)
    run("setfacl", "-m", f"u:{ANN}:rx", bob, check=True)
    found = doctor(root)
    assert found.returncode == 1 and f"{bob} can be entered by user {ANN} (ACL)" in found.stdout, found.stdout
    run("setfacl", "-x", f"u:{ANN}", bob, check=True)

    run("setfacl", "-m", f"u:{ANN}:rwx", root / "Inbox" / "p", check=True)
    found = doctor(root)
    assert found.returncode == 1 and f"{root / 'Inbox' / 'p'} can be written by user {ANN} (ACL)" in found.stdout, found.stdout
    run("setfacl", "-x", f"u:{ANN}", root / "Inbox" / "p", check=True)
    os.chmod(root / "Inbox", 0o2777)
    found = doctor(root)
    assert found.returncode == 1 and f"{root / 'Inbox'} can be written by everyone" in found.stdout, found.stdout
    os.chmod(root / "Inbox", 0o2770)

    found = doctor(root, {"PATH": "/nonexistent"})
    assert found.returncode == 1 and "setfacl and getfacl are not installed" in found.stdout and "apt-get install acl" in found.stdout
    assert doctor(root).returncode == 0


def test_doctor_names_a_nearly_full_disk(tmp_path):
    disk = Path(tempfile.mkdtemp(prefix="lm-doctor-", dir="/tmp"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True, text=True)
    assert mounted.returncode == 0, f"mounting a small tmpfs (needs root): {mounted.stderr}"
    try:
        (disk / "Inbox").mkdir()
        assert doctor(disk).returncode == 0
        with open(disk / "filler", "wb") as f:
            f.write(b"\0" * (1000 * 1024))
        found = doctor(disk)
        assert found.returncode == 1 and "% full" in found.stdout, found.stdout
    finally:
        subprocess.run(["umount", str(disk)])
        shutil.rmtree(disk, ignore_errors=True)


def test_doctor_names_inotify_limits_too_low_for_the_tree(tmp_path):
    root = tmp_path / "root"
    for i in range(30):
        (root / "Inbox" / "p" / f"batch{i}").mkdir(parents=True)
    # Queued pages get no watch of their own: 50 of them do not count.
    for i in range(50):
        (root / "Watch" / "p" / "queue" / f"page-{i + 1:06d}").mkdir(parents=True)
    limits = Path("/proc/sys/fs/inotify/max_user_watches")
    before = limits.read_text()
    try:
        # Inbox, Inbox/p, 30 batches, Watch, Watch/p and the queue: 35 folders to watch.
        limits.write_text("34\n")
        found = doctor(root)
        limits.write_text("35\n")
        enough = doctor(root)
        limits.write_text(before)
        assert found.returncode == 1 and "fs.inotify.max_user_watches is 34" in found.stdout, found.stdout
        assert "sysctl -w fs.inotify.max_user_watches=" in found.stdout and "--poll" in found.stdout
        assert "max_user_watches" not in enough.stdout, enough.stdout
    finally:
        limits.write_text(before)
    assert "max_user_watches" not in doctor(root).stdout
