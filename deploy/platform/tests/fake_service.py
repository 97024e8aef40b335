"""A stand-in service for the runner's tests: serves gRPC health on a port, or dies at once if told to.

Like a real service it serves over mutual TLS with the certificate the runner gives it
(TLS_CERT_FILE, TLS_KEY_FILE, TLS_CA_FILE), so the runner's health checks must present one too.
"""

import os
import sys
import time
from concurrent import futures
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc


def main() -> None:
    port, behaviour = int(sys.argv[1]), sys.argv[2]
    if behaviour == "die":
        print("fake service failing on purpose: configuration is broken", flush=True)
        sys.exit(3)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    address = f"127.0.0.1:{port}"
    if os.environ.get("TLS_MODE") == "mtls":
        key, cert, ca = (
            Path(os.environ[name]).read_bytes() for name in ("TLS_KEY_FILE", "TLS_CERT_FILE", "TLS_CA_FILE")
        )
        server.add_secure_port(
            address,
            grpc.ssl_server_credentials([(key, cert)], root_certificates=ca, require_client_auth=True),
        )
    else:
        server.add_insecure_port(address)
    server.start()
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
