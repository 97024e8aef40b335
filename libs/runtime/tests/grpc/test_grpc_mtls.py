"""With AUTH_MODE=mtls the server demands a client certificate and its CN is the principal."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import pytest

from doudi.common.v1.types_pb2 import Period
from doudi_runtime.grpc.client import ChannelFactory

SERVICE = "doudi.test.v1.EchoService"

pytestmark = pytest.mark.skipif(
    shutil.which("openssl") is None,
    reason="needs the openssl command-line tool to make a throwaway CA (the venv has no 'cryptography')",
)


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


def _issue(directory: Path, name: str, common_name: str, extensions: str) -> None:
    (directory / f"{name}.ext").write_text(extensions)
    _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f"{name}.key", cwd=directory)
    _openssl(
        "req",
        "-new",
        "-key",
        f"{name}.key",
        "-subj",
        f"/CN={common_name}",
        "-out",
        f"{name}.csr",
        cwd=directory,
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        f"{name}.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        f"{name}.ext",
        "-out",
        f"{name}.pem",
        cwd=directory,
    )


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("pki")
    _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key", cwd=directory)
    _openssl(
        "req",
        "-x509",
        "-new",
        "-key",
        "ca.key",
        "-subj",
        "/CN=doudi-test-ca",
        "-days",
        "1",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-out",
        "ca.pem",
        cwd=directory,
    )
    _issue(
        directory,
        "server",
        "demo",
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n"
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    _issue(
        directory,
        "client",
        "verification",
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n",
    )
    return directory


def _tls(pki: Path, name: str) -> dict[str, Any]:
    return {
        "auth_mode": "mtls",
        "auth_tokens": None,
        "client_token": None,
        "tls_cert_file": pki / f"{name}.pem",
        "tls_key_file": pki / f"{name}.key",
        "tls_ca_file": pki / "ca.pem",
    }


def _who(channel: grpc.Channel) -> str:
    method = channel.unary_unary(
        f"/{SERVICE}/WhoAmI",
        request_serializer=Period.SerializeToString,
        response_deserializer=Period.FromString,
    )
    return method(Period(), timeout=5).month


def test_the_client_certificate_names_the_principal(
    pki: Path, start_echo: Callable[..., Any], make_settings: Callable[..., Any]
) -> None:
    running = start_echo(**_tls(pki, "server"))
    factory = ChannelFactory(make_settings(**_tls(pki, "client")))
    try:
        assert _who(factory.channel(running.target)).startswith("verification|")
    finally:
        factory.close()


def test_a_client_without_a_certificate_is_refused(pki: Path, start_echo: Callable[..., Any]) -> None:
    running = start_echo(**_tls(pki, "server"))
    credentials = grpc.ssl_channel_credentials(root_certificates=(pki / "ca.pem").read_bytes())
    with grpc.secure_channel(running.target, credentials) as channel, pytest.raises(grpc.RpcError) as caught:
        _who(channel)
    assert caught.value.code() is grpc.StatusCode.UNAVAILABLE
    assert running.state.calls["WhoAmI"] == 0
