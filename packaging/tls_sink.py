"""tls_sink.py: an https OTLP sink on 127.0.0.1 for test-cross.py, so that each cross build's TLS
(rustls over ring: key exchange, certificate verification, AEAD, all code compiled per target,
with assembly chosen per CPU) is run for real, under qemu for the ARM ones.

It makes a throwaway CA and a certificate for IP 127.0.0.1 signed by it with openssl(1) (the agent
trusts the CA through --tls-ca), answers every POST with 200 and an empty body, and records for
each request (path, Content-Type, body length, TLS version, cipher). Python standard library and
openssl(1) only; the server thread ends with close().
"""

import http.server
import ssl
import subprocess
import threading
from pathlib import Path


def make_ca_and_leaf(directory):
    """Writes ca.pem, key.pem and cert.pem (P-256, for IP 127.0.0.1, valid 2 days) into directory."""
    d = Path(directory)

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=sysotlp test CA")
    openssl("req", *ec, "-keyout", "key.pem", "-out", "leaf.csr", "-subj", "/CN=127.0.0.1")
    (d / "leaf.ext").write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "cert.pem", "-days", "2", "-extfile", "leaf.ext")
    return d / "ca.pem"


class Sink:
    """An https server on 127.0.0.1:<port>; `tls12_cipher` limits it to TLS 1.2 and that cipher."""

    def __init__(self, directory, tls12_cipher=None):
        self.requests = []
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                sink.requests.append(
                    (self.path, self.headers.get("Content-Type"), len(body), self.request.version(), self.request.cipher()[0])
                )
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(Path(directory) / "cert.pem", Path(directory) / "key.pem")
        if tls12_cipher:
            context.maximum_version = ssl.TLSVersion.TLSv1_2
            context.set_ciphers(tls12_cipher)
        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
