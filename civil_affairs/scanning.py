"""Malware scanners for uploaded files: one interface, the scanner chosen by a dotted path in
MALWARE_SCANNER (default `civil_affairs.scanning.SignatureScanner`).

`SignatureScanner` is for development and tests (it knows the EICAR test file and little else);
`ClamdScanner` is for production and talks to clamd. A scanner that cannot give an answer raises
`ScannerUnavailable`, and the upload is then refused: we fail closed.
"""

import socket
import struct
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_SCANNER = "civil_affairs.scanning.SignatureScanner"


class ScannerUnavailable(Exception):
    """The scanner could not be reached or gave no usable answer."""


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    signature: str = ""  # the scanner's name for what it found; empty when clean


class BaseScanner:
    """A scanner looks at the bytes of one file and says whether they are clean."""

    def scan(self, data: bytes) -> ScanResult:  # pragma: no cover - interface
        raise NotImplementedError


def get_scanner(path: str | None = None) -> BaseScanner:
    return import_string(path or getattr(settings, "MALWARE_SCANNER", DEFAULT_SCANNER))()


# The standard 68-byte EICAR test file, assembled from pieces so that a scanner on a developer's
# machine or in CI does not quarantine this source file.
EICAR = b"".join(
    (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$", b"EICAR-STANDARD-", b"ANTIVIRUS-TEST-", b"FILE!$H+H*"),
)


class SignatureScanner(BaseScanner):
    """Development and tests: finds known byte strings anywhere in the data."""

    # (name reported, bytes to find); add entries here to catch more test payloads.
    SIGNATURES: tuple[tuple[str, bytes], ...] = (("Eicar-Test-Signature", EICAR),)

    def __init__(self, signatures: tuple[tuple[str, bytes], ...] | None = None):
        self.signatures = self.SIGNATURES if signatures is None else tuple(signatures)

    def scan(self, data: bytes) -> ScanResult:
        for name, pattern in self.signatures:
            if pattern in data:
                return ScanResult(clean=False, signature=name)
        return ScanResult(clean=True)


class ClamdScanner(BaseScanner):
    """Production: clamd's INSTREAM command over TCP (CLAMD_HOST, CLAMD_PORT) or, when
    CLAMD_SOCKET is set, a Unix socket; every socket operation waits at most CLAMD_TIMEOUT s.

    clamd refuses a stream longer than its StreamMaxLength (25 MB by default), which is well
    above UPLOAD_MAX_BYTES; if it is lowered below that, large uploads fail closed.
    """

    CHUNK_SIZE = 64 * 1024
    MAX_REPLY = 4096

    def __init__(
        self,
        *,
        host: str | None = None,
        port: int | None = None,
        socket_path: str | None = None,
        timeout: float | None = None,
    ):
        self.host = host or getattr(settings, "CLAMD_HOST", "127.0.0.1")
        self.port = int(port or getattr(settings, "CLAMD_PORT", 3310))
        self.socket_path = socket_path or getattr(settings, "CLAMD_SOCKET", "")
        self.timeout = float(timeout or getattr(settings, "CLAMD_TIMEOUT", 10))

    def _connect(self) -> socket.socket:
        if self.socket_path:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.settimeout(self.timeout)
                sock.connect(self.socket_path)
            except OSError:
                sock.close()
                raise
            return sock
        return socket.create_connection((self.host, self.port), timeout=self.timeout)

    def _read_reply(self, sock: socket.socket) -> bytes:
        # With the "z" prefix clamd ends its reply with a NUL byte.
        reply = b""
        while b"\0" not in reply and len(reply) < self.MAX_REPLY:
            chunk = sock.recv(1024)
            if not chunk:
                break
            reply += chunk
        return reply.split(b"\0", 1)[0]

    def scan(self, data: bytes) -> ScanResult:
        try:
            with self._connect() as sock:
                sock.sendall(b"zINSTREAM\0")
                view = memoryview(data)
                for start in range(0, len(data), self.CHUNK_SIZE):
                    chunk = view[start : start + self.CHUNK_SIZE]
                    sock.sendall(struct.pack(">I", len(chunk)))
                    sock.sendall(chunk)
                sock.sendall(struct.pack(">I", 0))
                reply = self._read_reply(sock)
        except OSError as exc:  # refused, reset, timed out (socket.timeout is an OSError)
            raise ScannerUnavailable(f"clamd could not be reached: {type(exc).__name__}") from exc
        return self._parse(reply)

    @staticmethod
    def _parse(reply: bytes) -> ScanResult:
        text = reply.decode("utf-8", "replace").strip()
        if text == "stream: OK":
            return ScanResult(clean=True)
        if text.startswith("stream: ") and text.endswith(" FOUND"):
            name = text[len("stream: ") : -len(" FOUND")].strip()
            if name:
                return ScanResult(clean=False, signature=name)
        # "... ERROR" (size limit, internal error) or anything we do not understand.
        raise ScannerUnavailable(f"clamd gave no verdict: {text[:200]!r}")
