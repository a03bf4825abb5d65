"""The benchmark's SMS gateway: a fake HTTP gateway on 127.0.0.1 (bench/notifications.py runs it)
and the SMS backend that posts to it, with the pipeline's timeout on every call."""

import json
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.conf import settings

from absher.sms import SmsDeliveryError, gateway_timeout
from absher.sms.backends.base import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    """POSTs {"to", "body", "reference"} as JSON to BENCH_GATEWAY_URL; its answer's "sid" is the reference."""

    def send(self, message) -> str:
        data = json.dumps({"to": message.to, "body": message.body, "reference": message.reference}).encode()
        request = urllib.request.Request(settings.BENCH_GATEWAY_URL, data=data,
                                         headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=gateway_timeout()) as response:  # noqa: S310 (loopback)
                return json.load(response).get("sid", "")
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            raise SmsDeliveryError(f"bench gateway: {type(exc).__name__}") from exc


class FakeGateway:
    """Answers each POST after `delay` seconds; records when each message (by its reference) arrived."""

    def __init__(self, delay: float):
        self.delay = delay
        self.arrivals: dict[str, float] = {}
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the stdlib's name)
                arrived = time.time()
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with gateway.lock:
                    gateway.arrivals[str(body.get("reference", ""))] = arrived
                time.sleep(gateway.delay)
                answer = json.dumps({"sid": f"BENCH{body.get('reference', '')}"}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the bench killed the worker that was waiting for this answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def count(self) -> int:
        with self.lock:
            return len(self.arrivals)

    def arrived(self) -> dict[str, float]:
        with self.lock:
            return dict(self.arrivals)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
