"""Virus scanning of uploads through clamd (ClamAV's daemon), when one is configured.

A few lines of clamd's own protocol over a socket: INSTREAM sends the bytes in length-prefixed
chunks and clamd answers `stream: OK` or `stream: <signature> FOUND`. No maintained Django
library fits, and this keeps the dependency to the standard library.

Configured by CLAMD_SOCKET (a Unix socket path) or CLAMD_HOST (+ CLAMD_PORT, default 3310).
Neither set: uploads are not scanned and are recorded as such (`scanned=False`). Set but not
answering: uploads are refused (ScannerError), since a school that asked for scanning must not
get unscanned files silently.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

from django.conf import settings

CLAMD_DEFAULT_PORT = 3310
# clamd's default StreamMaxLength is 25 MB; chunks well below its buffer sizes.
CHUNK_BYTES = 64 * 1024
# Answers are one short line; anything longer is not clamd.
MAX_REPLY_BYTES = 4096


class ScannerError(Exception):
    """clamd is configured but gave no verdict: unreachable, timed out, or answered an error."""


@dataclass(frozen=True)
class ScanResult:
    scanned: bool
    # The signature clamd found ("Eicar-Test-Signature"); empty when the file is clean.
    signature: str = ""

    @property
    def infected(self) -> bool:
        return bool(self.signature)


ClamdAddress = str | tuple[str, int]


def clamd_address() -> ClamdAddress | None:
    """clamd's Unix socket path or (host, port) from the settings; None when not configured."""
    socket_path = getattr(settings, "CLAMD_SOCKET", "") or ""
    if socket_path:
        return str(socket_path)
    host = getattr(settings, "CLAMD_HOST", "") or ""
    if host:
        return (str(host), int(getattr(settings, "CLAMD_PORT", CLAMD_DEFAULT_PORT)))
    return None


def _connect(address: ClamdAddress, timeout: float) -> socket.socket:
    if isinstance(address, str):
        unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        unix.settimeout(timeout)
        try:
            unix.connect(address)
        except OSError:
            unix.close()
            raise
        return unix
    return socket.create_connection(address, timeout=timeout)


def _read_reply(connection: socket.socket) -> str:
    reply = b""
    # The "z" form of the command makes clamd end its answer with a NUL byte.
    while b"\0" not in reply and len(reply) < MAX_REPLY_BYTES:
        chunk = connection.recv(1024)
        if not chunk:
            break
        reply += chunk
    return reply.split(b"\0", 1)[0].decode("utf-8", "replace").strip()


def clamd_instream(data: bytes, *, address: ClamdAddress, timeout: float = 30.0) -> ScanResult:
    """Scans `data` with clamd's INSTREAM command; raises ScannerError without a verdict."""
    try:
        with _connect(address, timeout) as connection:
            connection.sendall(b"zINSTREAM\0")
            for start in range(0, len(data), CHUNK_BYTES):
                chunk = data[start : start + CHUNK_BYTES]
                connection.sendall(struct.pack("!I", len(chunk)) + chunk)
            connection.sendall(struct.pack("!I", 0))  # a zero-length chunk ends the stream
            reply = _read_reply(connection)
    except OSError as error:  # refused, reset, timed out (socket.timeout is an OSError)
        raise ScannerError(f"clamd could not be reached: {error.__class__.__name__}") from error

    verdict = reply.removeprefix("stream:").strip()
    if verdict == "OK":
        return ScanResult(scanned=True)
    if verdict.endswith(" FOUND"):
        return ScanResult(scanned=True, signature=verdict.removesuffix(" FOUND").strip())
    # "INSTREAM size limit exceeded. ERROR", an empty reply from a dying daemon, ...
    raise ScannerError(f"clamd gave no verdict: {reply[:200]!r}")


def scan_bytes(data: bytes) -> ScanResult:
    """Scans with the configured clamd; not configured: `ScanResult(scanned=False)`."""
    address = clamd_address()
    if address is None:
        return ScanResult(scanned=False)
    timeout = float(getattr(settings, "CLAMD_TIMEOUT", 30))
    return clamd_instream(data, address=address, timeout=timeout)
