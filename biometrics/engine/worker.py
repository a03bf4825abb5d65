"""The matcher process: owns libfprint's virtual image device; one request at a time on stdin.

Run as `python -m biometrics.engine.worker` (the client starts it); it imports nothing of
Django. Requests (biometrics.engine.protocol frames):

- {"op": "hello"} → {"engine": "libfprint 1.94.5-1"}
- {"op": "extract", "image": {...}} → {"probe": xyt}
- {"op": "compare", "image": {...}, "gallery": [xyt, ...], "stop_at": int|null}
  → {"probe": xyt, "scores": [int|null, ...]}: bozorth3 score of the image against each
  gallery print, in order, until one reaches `stop_at` (null: all of them).

An image libfprint finds no minutiae in answers {"retry": "<reason>"}; anything else that goes
wrong answers {"error": "<reason>"} and the client restarts the process.

libfprint reports bozorth3 scores only in its debug log ("score N/M", log domain
libfprint-print) and stops an identification at the first print scoring at least its own
threshold (40). The worker reads the scores from the log and, when the print that stopped the
run scores below `stop_at`, sends the image again for the prints after it.
"""

import base64
import os
import shutil
import socket
import struct
import subprocess  # noqa: S404 - dpkg-query, fixed arguments
import sys
import tempfile
import threading
from array import array

from .protocol import ProtocolError, read_frame, write_frame

NBIS = 2  # FpiPrintType FPI_PRINT_NBIS
PRINT_VARIANT = "(issbymsmsia{sv}v)"
NO_DATE = -(2**31)
DUMMY = [[10, 10, 0], [20, 40, 90], [60, 30, 180]]
DPKG_QUERY = shutil.which("dpkg-query") or "/usr/bin/dpkg-query"


class Retry(Exception):
    """libfprint's retry condition: no minutiae in the image."""


def engine_version() -> str:
    try:
        out = subprocess.run(  # noqa: S603 - fixed command, no shell
            [DPKG_QUERY, "-W", "-f=${Version}", "libfprint-2-2"], capture_output=True, text=True, timeout=5, check=False
        )
        version = out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        version = ""
    version = version.split(":", 1)[-1]  # no Debian epoch
    return f"libfprint {version or 'unknown'}"


class Engine:
    def __init__(self):
        self._dir = tempfile.mkdtemp(prefix="absher-nbis-")
        path = os.path.join(self._dir, "virtual-image.socket")
        os.environ["FP_VIRTUAL_IMAGE"] = path
        import gi

        gi.require_version("FPrint", "2.0")
        from gi.repository import FPrint, GLib

        self.FPrint, self.GLib = FPrint, GLib
        self.scores: list[int] = []
        GLib.log_set_handler("libfprint-print", GLib.LogLevelFlags.LEVEL_DEBUG, self._log)
        # Everything else libfprint says stays out of the client's pipe.
        for domain in ("libfprint", "libfprint-device", "libfprint-image_device", "libfprint-virtual_image", "libfprint-image",
                       "libfprint-context", "libfprint-virtual_device_listener", "libfprint-nbis"):
            GLib.log_set_handler(domain, GLib.LogLevelFlags.LEVEL_MASK, lambda *a: None)
        self.context = FPrint.Context()
        devices = [d for d in self.context.get_devices() if d.get_driver() == "virtual_image"]
        if not devices:
            raise RuntimeError("libfprint has no virtual_image driver")
        self.device = devices[0]
        self.device.open_sync()
        self.connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.connection.connect(path)
        # The one connection is made: the socket's name is no longer needed (nothing left in /tmp,
        # even when the process is killed).
        os.unlink(path)
        os.rmdir(self._dir)
        self.driver, self.device_id = self.device.get_driver(), self.device.get_device_id()
        self._no_text = GLib.Variant.new_maybe(GLib.VariantType("s"), None)
        self._no_metadata = GLib.Variant("a{sv}", {})
        self.dummy = self.make_print(DUMMY)

    def _log(self, _domain, _level, message, *_args):
        if message.startswith("score "):
            self.scores.append(int(message.split()[1].split("/")[0]))

    def make_print(self, xyt):
        """A libfprint print of one set of minutiae (GVariant built from packed int32 columns: ~20x faster)."""
        GLib = self.GLib
        columns = [GLib.Variant.new_from_bytes(GLib.VariantType("ai"), GLib.Bytes.new(array("i", (int(m[k]) for m in xyt)).tobytes()), True)
                   for k in range(3)]
        data = GLib.Variant.new_tuple(GLib.Variant.new_array(GLib.VariantType("(aiaiai)"), [GLib.Variant.new_tuple(*columns)]))
        value = GLib.Variant.new_tuple(
            GLib.Variant.new_int32(NBIS), GLib.Variant.new_string(self.driver), GLib.Variant.new_string(self.device_id),
            GLib.Variant.new_boolean(False), GLib.Variant.new_byte(0), self._no_text, self._no_text,
            GLib.Variant.new_int32(NO_DATE), self._no_metadata, GLib.Variant.new_variant(data),
        )
        return self.FPrint.Print.deserialize(b"FP3" + value.get_data_as_bytes().get_data())

    def xyt_of(self, fp_print) -> list[list[int]]:
        GLib = self.GLib
        blob = bytes(fp_print.serialize())
        value = GLib.Variant.new_from_bytes(GLib.VariantType(PRINT_VARIANT), GLib.Bytes.new(blob[3:]), False)
        data = value.unpack()[-1]
        prints = data[0]
        xs, ys, ts = prints[0]
        return [[x, y, t] for x, y, t in zip(xs, ys, ts, strict=True)]

    def _send(self, image: dict) -> None:
        pixels = base64.b64decode(image["pixels"])
        width, height = int(image["width"]), int(image["height"])
        if len(pixels) != width * height:
            raise ValueError("pixel count does not match the size")
        frame = struct.pack("ii", width, height) + pixels
        threading.Thread(target=self.connection.sendall, args=(frame,), daemon=True).start()

    def _run(self, start, finish):
        box = {}

        def done(_device, result):
            try:
                box["result"] = finish(result)
            except Exception as error:  # noqa: BLE001 - handed back to the caller below
                box["error"] = error

        start(done)
        main = self.GLib.MainContext.default()
        while not box:
            main.iteration(True)
        if "error" in box:
            error = box["error"]
            if isinstance(error, self.GLib.Error) and "retry" in str(error.domain):
                raise Retry(error.message)
            raise error
        return box["result"]

    def identify(self, image: dict, prints: list):
        """(matched index or None, probe xyt, scores logged) for one sending of the image."""
        self.scores = []
        self._send(image)
        match, probe = self._run(lambda cb: self.device.identify(prints, None, None, (), cb), self.device.identify_finish)
        index = None
        if match is not None:
            index = next(i for i, p in enumerate(prints) if p is match or p.equal(match))
        return index, probe, list(self.scores)

    def extract(self, image: dict) -> list[list[int]]:
        _index, probe, _scores = self.identify(image, [self.dummy])
        return self.xyt_of(probe)

    def compare(self, image: dict, gallery: list, stop_at: int | None):
        prints = [self.make_print(xyt) for xyt in gallery]
        scores: list[int | None] = [None] * len(prints)
        probe_xyt = None
        start = 0
        while start < len(prints):
            index, probe, logged = self.identify(image, prints[start:])
            if probe_xyt is None:
                probe_xyt = self.xyt_of(probe)
            for offset, score in enumerate(logged):
                scores[start + offset] = score
            if index is None:
                break
            hit = start + index
            if stop_at is not None and (scores[hit] or 0) >= stop_at:
                break
            start = hit + 1
        if probe_xyt is None:
            probe_xyt = self.extract(image)
        return probe_xyt, scores


def serve(stdin, stdout) -> None:
    engine = None
    while True:
        try:
            request = read_frame(stdin)
        except ProtocolError:
            return
        try:
            if engine is None:
                engine = Engine()
            op = request.get("op")
            if op == "hello":
                reply = {"engine": engine_version()}
            elif op == "extract":
                reply = {"probe": engine.extract(request["image"])}
            elif op == "compare":
                probe, scores = engine.compare(request["image"], request["gallery"], request.get("stop_at"))
                reply = {"probe": probe, "scores": scores}
            else:
                reply = {"error": "unknown operation"}
        except Retry as retry:
            reply = {"retry": str(retry) or "no minutiae"}
        except Exception as error:  # noqa: BLE001 - the client restarts the process
            write_frame(stdout, {"error": f"{type(error).__name__}: {error}"})
            return
        write_frame(stdout, reply)


def main() -> None:
    # libfprint and GLib may write to descriptor 1: the frames get a copy of it, and 1 becomes stderr.
    frames = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    serve(sys.stdin.buffer, frames)


if __name__ == "__main__":
    main()
