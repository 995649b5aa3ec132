"""A loopback OTLP/HTTP sink for benchmarks: answers 200 to every POST and appends
"<bytes> <seconds>" per request (a monotonic clock: the requests of one tick arrive
together) to the file named by argv[2]. Listens on 127.0.0.1:argv[1]."""

import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        with open(sys.argv[2], "a", encoding="ascii") as log:
            log.write(f"{len(body)} {time.monotonic():.3f}\n")
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
