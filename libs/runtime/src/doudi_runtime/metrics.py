"""The Prometheus endpoint every doudi process serves: ``/metrics`` (default registry) and ``/healthz``."""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import REGISTRY
from prometheus_client.exposition import choose_encoder

log = logging.getLogger(__name__)

_servers: list[ThreadingHTTPServer] = []
_servers_lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    server_version = "doudi-metrics"

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
            self._reply(200, content_type, encoder(REGISTRY))
        elif path == "/healthz":
            self._reply(200, "text/plain; charset=utf-8", b"ok\n")
        else:
            self._reply(404, "text/plain; charset=utf-8", b"not found\n")

    def _reply(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        # Prometheus scrapes every few seconds; an access line per scrape is noise.
        return


def start_metrics_server(host: str, port: int) -> int:
    """Serve the default registry on a daemon thread; returns the bound port (``port=0`` picks one)."""
    server = ThreadingHTTPServer((host, port), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True)
    thread.start()
    with _servers_lock:
        _servers.append(server)
    bound = int(server.server_address[1])
    log.debug("metrics server started", extra={"metrics_port": bound})
    return bound


def stop_metrics_servers() -> None:
    """Stop every metrics server this process started (tests; processes just exit)."""
    with _servers_lock:
        servers = list(_servers)
        _servers.clear()
    for server in servers:
        server.shutdown()
        server.server_close()
