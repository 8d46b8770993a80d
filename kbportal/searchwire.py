"""The wire between workers and the node's search process (kbportal.serving.searchd).

Its own module, importing nothing of kbportal: the worker side (kbportal.publish.remote_search)
and the process side (kbportal.serving.searchd) both use it without importing each other, so
publish and serving stay free of an import cycle (.importlinter).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import socket
import struct
from pathlib import Path
from typing import Any

HEADER = struct.Struct("!I")
STATS = "stats"  # the method asking a search process for its results cache's figures
MAX_FRAME = 16 * 1024 * 1024  # a page of results is a few KB; anything bigger is not ours


def address(master_pid: int, data_dir: Path, slot: int = 0) -> str:
    """The abstract socket name of search process `slot` for one server and data folder."""
    digest = hashlib.sha256(str(Path(data_dir).resolve()).encode()).hexdigest()[:16]
    suffix = f"-{slot}" if slot else ""  # the first keeps the name it always had
    return f"\0kbportal-search-{master_pid}-{digest}{suffix}"


def frame(value: object) -> bytes:
    """One length-prefixed pickled frame, as bytes (a cached answer is sent as it is)."""
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


def send(sock: socket.socket, value: object) -> None:
    """One length-prefixed pickled frame."""
    sock.sendall(frame(value))


def receive(sock: socket.socket) -> Any:
    """One frame sent by `send`; EOFError when the other end closed the connection."""
    (size,) = HEADER.unpack(_exactly(sock, HEADER.size))
    if size > MAX_FRAME:
        raise EOFError(f"a frame of {size} bytes: not from kbportal")
    return pickle.loads(_exactly(sock, size))  # noqa: S301 - only our own user's processes


def _exactly(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise EOFError("connection closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def same_user(sock: socket.socket) -> bool:
    """Whether the process at the other end runs as our user (pickles come from no one else)."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid == os.getuid()
