"""Malware scanners: the EICAR signature scanner, and the clamd one against a fake clamd on loopback."""

import shutil
import socket
import struct
import tempfile
import threading
from pathlib import Path

import pytest
from django.test import override_settings

from civil_affairs.scanning import (
    EICAR,
    ClamdScanner,
    ScannerUnavailable,
    ScanResult,
    SignatureScanner,
    get_scanner,
)


def test_eicar_is_the_standard_68_byte_test_string():
    assert len(EICAR) == 68
    assert EICAR.startswith(b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR") and EICAR.endswith(b"$H+H*")


@pytest.mark.parametrize(
    "data",
    [EICAR, b"%PDF-1.7\n" + EICAR + b"\n%%EOF\n", b"\x00" * 1000 + EICAR, b"prefix" + EICAR + b"suffix"],
)
def test_signature_scanner_finds_eicar_anywhere(data):
    assert SignatureScanner().scan(data) == ScanResult(clean=False, signature="Eicar-Test-Signature")


@pytest.mark.parametrize("data", [b"", b"%PDF-1.7\nhello\n%%EOF\n", EICAR[:-1], EICAR[1:]])
def test_signature_scanner_passes_clean_data(data):
    assert SignatureScanner().scan(data) == ScanResult(clean=True)


def test_signature_scanner_takes_more_signatures():
    scanner = SignatureScanner(signatures=(("Test-One", b"bad-bytes"),))
    assert scanner.scan(b"...bad-bytes...") == ScanResult(clean=False, signature="Test-One")
    assert scanner.scan(EICAR).clean


def test_scanner_is_chosen_by_setting():
    assert isinstance(get_scanner("civil_affairs.scanning.SignatureScanner"), SignatureScanner)
    with override_settings(MALWARE_SCANNER="civil_affairs.scanning.ClamdScanner"):
        assert isinstance(get_scanner(), ClamdScanner)


def test_default_scanner_is_the_signature_scanner(settings):
    if hasattr(settings, "MALWARE_SCANNER"):
        del settings.MALWARE_SCANNER
    assert isinstance(get_scanner(), SignatureScanner)


def test_clamd_scanner_reads_its_settings():
    with override_settings(CLAMD_HOST="127.0.0.2", CLAMD_PORT=3999, CLAMD_SOCKET="", CLAMD_TIMEOUT=3):
        scanner = ClamdScanner()
    assert (scanner.host, scanner.port, scanner.socket_path, scanner.timeout) == ("127.0.0.2", 3999, "", 3.0)


# ---------------------------------------------------------------- a fake clamd


class FakeClamd:
    """Answers one INSTREAM request on loopback (or a Unix socket) with `reply`; with reply None
    it reads the request and then says nothing, as a hung clamd would."""

    def __init__(self, reply: bytes | None, unix_path: str | None = None):
        self.reply = reply
        self.command = b""
        self.received = b""
        self.chunk_sizes: list[int] = []
        self.done = threading.Event()
        self.release = threading.Event()
        if unix_path:
            self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.server.bind(unix_path)
        else:
            self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.server.bind(("127.0.0.1", 0))
            self.port = self.server.getsockname()[1]
        self.server.listen(1)
        self.server.settimeout(5)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            conn, _ = self.server.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(5)
            stream = conn.makefile("rb")
            while not self.command.endswith(b"\0"):
                byte = stream.read(1)
                if not byte:
                    return
                self.command += byte
            while True:
                (size,) = struct.unpack(">I", stream.read(4))
                if size == 0:
                    break
                self.chunk_sizes.append(size)
                self.received += stream.read(size)
            self.done.set()
            if self.reply is None:
                self.release.wait(5)
            else:
                conn.sendall(self.reply)

    def close(self):
        self.release.set()
        self.server.close()
        self.thread.join(5)


@pytest.fixture
def fake_clamd():
    servers = []

    def start(reply, **kwargs):
        server = FakeClamd(reply, **kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def test_clamd_clean_reply_and_the_instream_protocol(fake_clamd):
    server = fake_clamd(b"stream: OK\0")
    scanner = ClamdScanner(host="127.0.0.1", port=server.port, timeout=2)
    scanner.CHUNK_SIZE = 10
    data = bytes(range(256)) * 3
    assert scanner.scan(data) == ScanResult(clean=True)
    assert server.done.wait(2)
    assert server.command == b"zINSTREAM\0"
    assert server.received == data
    assert max(server.chunk_sizes) == 10 and sum(server.chunk_sizes) == len(data)


def test_clamd_found_reply_names_the_signature(fake_clamd):
    server = fake_clamd(b"stream: Eicar-Signature FOUND\0")
    scanner = ClamdScanner(host="127.0.0.1", port=server.port, timeout=2)
    assert scanner.scan(EICAR) == ScanResult(clean=False, signature="Eicar-Signature")


@pytest.mark.parametrize(
    "reply",
    [b"garbage\0", b"INSTREAM size limit exceeded. ERROR\0", b"stream:  FOUND\0", b"", b"stream: OK-ish\0"],
)
def test_clamd_unexpected_reply_means_unavailable(fake_clamd, reply):
    server = fake_clamd(reply)
    scanner = ClamdScanner(host="127.0.0.1", port=server.port, timeout=2)
    with pytest.raises(ScannerUnavailable):
        scanner.scan(b"data")


def test_clamd_connection_refused_means_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on that port any more.
    with pytest.raises(ScannerUnavailable):
        ClamdScanner(host="127.0.0.1", port=port, timeout=1).scan(b"data")


def test_clamd_that_never_answers_times_out(fake_clamd):
    server = fake_clamd(None)
    with pytest.raises(ScannerUnavailable):
        ClamdScanner(host="127.0.0.1", port=server.port, timeout=0.2).scan(b"data")


@pytest.fixture
def short_tmp():
    # Unix socket paths are limited to about 100 bytes; pytest's tmp_path can be longer.
    path = Path(tempfile.mkdtemp(prefix="clamd-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="needs Unix sockets")
def test_clamd_over_a_unix_socket(fake_clamd, short_tmp):
    path = str(short_tmp / "clamd.sock")
    server = fake_clamd(b"stream: Win.Test.Thing FOUND\0", unix_path=path)
    with override_settings(CLAMD_SOCKET=path, CLAMD_TIMEOUT=2):
        result = ClamdScanner().scan(b"payload")
    assert result == ScanResult(clean=False, signature="Win.Test.Thing")
    assert server.received == b"payload"


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="needs Unix sockets")
def test_clamd_missing_unix_socket_means_unavailable(short_tmp):
    with pytest.raises(ScannerUnavailable):
        ClamdScanner(socket_path=str(short_tmp / "absent.sock"), timeout=1).scan(b"data")
