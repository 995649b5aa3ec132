"""A loopback HTTP sink for benchmarks: answers 200 to every POST.

As a script (bench/vmhwm.sh): listens on 127.0.0.1:argv[1] and appends "<bytes> <seconds>"
per request (a monotonic clock: the requests of one tick arrive together) to the file
named by argv[2]. As a module (bench/peers.py): `start(on_post)` serves
on a free loopback port in a background thread and calls `on_post(body)` per request, the
body as received (still gzip-compressed if the client sent it so)."""

import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _handler(on_post):
    class Sink(BaseHTTPRequestHandler):
        # HTTP/1.1: keep-alive as OTLP exporters use it, and `Expect: 100-continue`
        # (libcurl's for bodies over 1 KiB: collectd's write_http) answered.
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            on_post(body)
            self.send_response(200)
            self.send_header("content-type", "application/x-protobuf")
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    return Sink


def start(on_post, port=0):
    """Serves on 127.0.0.1:port (0: a free one) in a daemon thread; returns the server,
    whose `server_address[1]` is the port and whose `shutdown()` stops it."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(on_post))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    def log_size(body):
        with open(sys.argv[2], "a", encoding="ascii") as log:
            log.write(f"{len(body)} {time.monotonic():.3f}\n")

    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), _handler(log_size))
    server.serve_forever()


if __name__ == "__main__":
    main()
