"""What the deployment tests share: a small PNG builder, a free port, a real
sshd on 127.0.0.1 with keys from a folder, and a digest of a folder tree."""
import hashlib
import socket
import struct
import subprocess
import time
import zlib
from pathlib import Path


def png(seed, size=8):
    """A small valid PNG whose pixels differ by seed."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + bytes([(seed * 37 + x + y) % 256 for x in range(size * 3)]) for y in range(size))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_digest(folder, owners=False):
    """Names, modes (and owners and times, if asked) and bytes of everything under folder."""
    h = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        st = path.lstat()
        extra = f" {st.st_uid} {st.st_mtime_ns}" if owners else ""
        h.update(f"{path.relative_to(folder)} {st.st_mode:o}{extra}".encode())
        if path.is_file() and not path.is_symlink():
            h.update(path.read_bytes())
    return h.hexdigest()


def start_sshd(base, keys, extra=()):
    """A real sshd on 127.0.0.1 whose users' authorized keys are keys/USER;
    its host key, config, pid file and log live in base. Returns (process, port)."""
    base = Path(base)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(base / "hostkey")], check=True)
    port = free_port()
    config = base / "sshd_config"
    config.write_text("\n".join([
        f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {base / 'hostkey'}",
        f"AuthorizedKeysFile {keys}/%u", "StrictModes no", "UsePAM no",
        "PasswordAuthentication no", "KbdInteractiveAuthentication no",
        f"PidFile {base / 'sshd.pid'}", "LogLevel VERBOSE", *extra, ""]))
    Path("/run/sshd").mkdir(exist_ok=True)
    sshd = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", str(config)], stderr=open(base / "sshd.log", "w"))
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return sshd, port
        except OSError:
            time.sleep(0.1)
    sshd.kill()
    raise AssertionError(f"sshd did not listen on 127.0.0.1:{port}: {(base / 'sshd.log').read_text()}")
