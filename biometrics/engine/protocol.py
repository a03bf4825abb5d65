"""Frames between the client and the worker: a 4-byte big-endian length, then JSON (no pickle).

Images travel as base64 of their raw pixels; minutiae as [x, y, theta] lists (NBIS "xyt").
"""

import json
import struct

_LENGTH = struct.Struct(">I")
MAX_FRAME = 256 * 1024 * 1024


class ProtocolError(Exception):
    pass


def write_frame(stream, message: dict) -> None:
    body = json.dumps(message, separators=(",", ":")).encode()
    stream.write(_LENGTH.pack(len(body)) + body)
    stream.flush()


def read_exactly(stream, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise ProtocolError("the other side closed the pipe")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(stream) -> dict:
    (size,) = _LENGTH.unpack(read_exactly(stream, _LENGTH.size))
    if size > MAX_FRAME:
        raise ProtocolError("frame too large")
    return json.loads(read_exactly(stream, size))
