"""gRPC transport security (``TLS_MODE``): server and channel credentials, and whom a certificate names.

``tls``: the server proves itself with TLS_CERT_FILE / TLS_KEY_FILE and clients check it against
TLS_CA_FILE. ``mtls``: the same, and every client must also show a certificate of TLS_CA_FILE's CA or
the handshake fails (no call is ever dispatched). A certificate names a doudi service only through its
``spiffe://doudi/service/<name>`` URI SAN (``doudi_runtime.pki``); other certificates open the
connection and nothing more.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import grpc

from doudi_runtime.pki import service_name_of
from doudi_runtime.settings import ServiceSettings

#: The auth-context key under which grpc lists the peer certificate's URI SANs.
PEER_URI_KEY = "peer_uri"


def _files(settings: ServiceSettings) -> tuple[bytes, bytes, bytes]:
    if not (settings.tls_cert_file and settings.tls_key_file and settings.tls_ca_file):
        raise ValueError(
            f"TLS_MODE={settings.transport_security} needs TLS_CERT_FILE, TLS_KEY_FILE and TLS_CA_FILE"
        )
    return (
        settings.tls_cert_file.read_bytes(),
        settings.tls_key_file.read_bytes(),
        settings.tls_ca_file.read_bytes(),
    )


def server_credentials(settings: ServiceSettings) -> grpc.ServerCredentials:
    """The server's certificate; with ``mtls`` client certificates of the CA are required, not optional."""
    cert, key, ca = _files(settings)
    mutual = settings.transport_security == "mtls"
    return grpc.ssl_server_credentials(
        [(key, cert)], root_certificates=ca if mutual else None, require_client_auth=mutual
    )


def channel_credentials(settings: ServiceSettings) -> grpc.ChannelCredentials:
    """Checks the server against the CA; with ``mtls`` also presents this process's own certificate."""
    cert, key, ca = _files(settings)
    if settings.transport_security == "mtls":
        return grpc.ssl_channel_credentials(root_certificates=ca, private_key=key, certificate_chain=cert)
    return grpc.ssl_channel_credentials(root_certificates=ca)


def certificate_service(auth_context: Mapping[str, Sequence[bytes]]) -> str | None:
    """The doudi service the peer's verified certificate names; None without one or for another's."""
    uris = [value.decode("utf-8", errors="replace") for value in auth_context.get(PEER_URI_KEY) or ()]
    return service_name_of(uris)
