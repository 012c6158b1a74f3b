"""Deployment pieces checked with the real tools: the systemd unit with
systemd-analyze, and the README's recipe for remote labelers (an ssh key
confined by rrsync to one labeler folder) with a real sshd on 127.0.0.1 and
real Unix users. Needs root (CI has it) for useradd and sshd."""
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from support import start_sshd, tree_digest

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "deploy" / "labelmill.service"
IS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="creates Unix users and runs sshd: run as root (CI does)")


def unit_keys():
    keys = {}
    for line in UNIT.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "[")):
            name, _, value = line.partition("=")
            keys.setdefault(name, []).append(value)
    return keys


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed (Debian package systemd)")
def test_the_unit_passes_systemd_analyze_verify(tmp_path):
    binary = os.environ.get("LABELMILL_BIN") or str(REPO / ".build" / "debug" / "labelmill")
    assert os.access(binary, os.X_OK), f"build labelmill first ({binary})"
    # verify checks that ExecStart exists: point it at the built binary, change nothing else.
    unit = tmp_path / "labelmill.service"
    unit.write_text(UNIT.read_text().replace("/usr/local/bin/labelmill", binary))
    run = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    # Unknown keys and bad values are only warnings: none may name the unit.
    assert "labelmill.service" not in run.stderr, run.stderr


def test_the_unit_is_hardened_and_writes_only_the_root():
    keys = unit_keys()
    assert keys["User"] == ["labelmill"] and keys["Group"] == ["labelmill"]
    assert keys["ProtectSystem"] == ["strict"]
    root = keys["Environment"][0].split("=", 1)[1]
    assert keys["ReadWritePaths"] == [root]
    for key in ["NoNewPrivileges", "PrivateTmp", "ProtectHome", "PrivateDevices"]:
        assert keys[key] == ["true"], key
    assert keys["Restart"] == ["on-failure"]
    assert keys["KillSignal"] == ["SIGTERM"]
    assert keys["ExecStart"] == ["/usr/local/bin/labelmill watch"]


@pytest.fixture
def remote(tmp_path_factory):
    """A root with ann's and bob's folders owned by them, a real sshd on
    127.0.0.1, and ann's key confined by rrsync to her folder."""
    base = Path(tempfile.mkdtemp(prefix="lm-deploy-", dir="/tmp"))
    os.chmod(base, 0o755)
    users = []
    sshd = None
    try:
        for name in ["lmtest-ann", "lmtest-bob"]:
            subprocess.run(["userdel", "-r", name], capture_output=True)
            subprocess.run(["useradd", "-m", "-s", "/bin/sh", name], check=True)
            # Not locked (sshd refuses a locked account), and no password either.
            subprocess.run(["usermod", "-p", "*", name], check=True)
            users.append(name)
        root = base / "root"
        for name in users:
            page = root / "Watch" / "p" / "labelers" / name / "page-000001"
            page.mkdir(parents=True)
            (page / "page.json").write_text(json.dumps({"page": "page-000001", "images": [{"tags": None}]}, indent=2))
            (page / "a.png").write_bytes(b"\x89PNG not really, a file to carry")
            entry = pwd.getpwnam(name)
            for path in [page.parent, page, page / "page.json", page / "a.png"]:
                os.chown(path, entry.pw_uid, entry.pw_gid)
            os.chmod(page.parent, 0o700)
        (root / "Inbox" / "p").mkdir(parents=True)
        for folder in [root, root / "Watch", root / "Watch" / "p", root / "Watch" / "p" / "labelers", root / "Inbox", root / "Inbox" / "p"]:
            os.chmod(folder, 0o755)
        keys = base / "keys"
        keys.mkdir()
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(base / "ann-key")], check=True)
        ann_folder = root / "Watch" / "p" / "labelers" / "lmtest-ann"
        # The README's line, as an admin puts it in ann's authorized_keys.
        line = f'command="rrsync {ann_folder}",restrict ' + (base / "ann-key.pub").read_text()
        (keys / "lmtest-ann").write_text(line)
        sshd, port = start_sshd(base, keys)
        ssh = f"ssh -p {port} -i {base / 'ann-key'} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR"
        yield {"root": root, "ann": ann_folder, "bob": root / "Watch" / "p" / "labelers" / "lmtest-bob",
               "ssh": ssh, "port": port, "key": base / "ann-key", "base": base}
    finally:
        if sshd:
            sshd.terminate()
            sshd.wait(10)
        for name in users:
            subprocess.run(["userdel", "-r", name], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def rsync(remote, *args):
    return subprocess.run(["rsync", "-a", "-e", remote["ssh"], *args], capture_output=True, text=True, timeout=60)


@needs_root
@pytest.mark.skipif(not Path("/usr/sbin/sshd").exists() or shutil.which("rrsync") is None,
                    reason="needs openssh-server and rsync's rrsync (Debian packages openssh-server, rsync)")
def test_an_rrsync_key_reaches_its_own_labeler_folder_and_nothing_else(remote, tmp_path):
    bob_before = tree_digest(remote["bob"])
    inbox_before = sorted(os.listdir(remote["root"] / "Inbox" / "p"))
    laptop = tmp_path / "laptop"
    # Pull: ann's pages come to the laptop.
    pulled = rsync(remote, "lmtest-ann@127.0.0.1:", f"{laptop}/")
    assert pulled.returncode == 0, pulled.stderr
    assert (laptop / "page-000001" / "page.json").exists()
    # Label on the laptop, push back: the page on the server changes.
    page = json.loads((laptop / "page-000001" / "page.json").read_text())
    page["images"][0]["tags"] = ["Dog"]
    (laptop / "page-000001" / "page.json").write_text(json.dumps(page, indent=2))
    pushed = rsync(remote, f"{laptop}/", "lmtest-ann@127.0.0.1:")
    assert pushed.returncode == 0, pushed.stderr
    assert json.loads((remote["ann"] / "page-000001" / "page.json").read_text())["images"][0]["tags"] == ["Dog"]

    # Into bob's folder, by a relative or an absolute path: refused.
    for target in ["lmtest-ann@127.0.0.1:../lmtest-bob/", f"lmtest-ann@127.0.0.1:{remote['bob']}/"]:
        attempt = rsync(remote, f"{laptop}/", target)
        assert attempt.returncode != 0, target
    # Reading bob's folder: refused too.
    stolen = rsync(remote, "lmtest-ann@127.0.0.1:../lmtest-bob/", f"{tmp_path}/stolen/")
    assert stolen.returncode != 0 and "do not use .." in stolen.stderr
    assert not (tmp_path / "stolen" / "page-000001").exists()
    # Into the inbox: refused.
    drop = tmp_path / "drop.png"
    drop.write_bytes(b"not an image")
    into_inbox = rsync(remote, str(drop), f"lmtest-ann@127.0.0.1:../../../../Inbox/p/")
    assert into_inbox.returncode != 0 and "do not use .." in into_inbox.stderr
    # A shell command: refused.
    shell = subprocess.run(remote["ssh"].split() + ["lmtest-ann@127.0.0.1", "cat /etc/hostname; id"],
                           capture_output=True, text=True, timeout=60)
    assert shell.returncode != 0 and "does not run rsync" in shell.stderr
    assert "uid=" not in shell.stdout
    # An interactive login: no shell either.
    login = subprocess.run(remote["ssh"].split() + ["-tt", "lmtest-ann@127.0.0.1"], input="id\nexit\n",
                           capture_output=True, text=True, timeout=60)
    assert "uid=" not in login.stdout

    assert tree_digest(remote["bob"]) == bob_before
    assert sorted(os.listdir(remote["root"] / "Inbox" / "p")) == inbox_before
