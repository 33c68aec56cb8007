"""The laptop's HTTP clients share one TLS context per process (sync/laptop/client.py,
``ssl_context``): httpx otherwise loads the whole CA bundle again for every client (~40 ms of
CPU per sync and per probe). Verification stays httpx's default: a server whose certificate no
trusted CA signed is refused; ``SSL_CERT_FILE`` names another bundle, with its own context.
A real HTTPS server on loopback, with a CA made for the test."""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sync.laptop.client import DistrictClient, probe, ssl_context


def _context_of(client: httpx.Client) -> ssl.SSLContext:
    transport = client._transport
    assert isinstance(transport, httpx.HTTPTransport)
    context = transport._pool._ssl_context
    assert context is not None
    return context


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None = None,
) -> x509.Certificate:
    """A certificate for ``key``: a CA's own (self-signed) or, given an issuer, one for
    127.0.0.1 signed by the issuer's key."""
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer[0].subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    if issuer is None:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            False,
        )
    return builder.sign(issuer[1] if issuer else key, hashes.SHA256())


class _Info(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"district_id": "tls-test"}).encode()
        self.send_response(200 if self.path == "/api/v1/info" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture(scope="module")
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """An HTTPS server on 127.0.0.1 with a certificate from a CA of its own; yields its URL
    and the CA's PEM file."""
    folder = tmp_path_factory.mktemp("tls")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("childdesk test CA", ca_key)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = _certificate("127.0.0.1", leaf_key, issuer=(ca, ca_key))
    ca_file = folder / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (folder / "leaf.key").write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(folder / "leaf.pem", folder / "leaf.key")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Info)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", ca_file
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_every_client_of_the_process_shares_one_verifying_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    first, second = DistrictClient("http://127.0.0.1:1"), DistrictClient("http://127.0.0.1:2")
    try:
        shared = _context_of(first._client)
        assert _context_of(second._client) is shared is ssl_context()
        assert shared.verify_mode == ssl.CERT_REQUIRED and shared.check_hostname
        assert shared.cert_store_stats()["x509_ca"] > 0  # the CA bundle is loaded
    finally:
        first.close()
        second.close()


def test_a_server_no_trusted_ca_signed_is_refused(
    https_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ca_file = https_server
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    assert probe(url) is False
    client = DistrictClient(url, timeout=10)
    try:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            client.info()
    finally:
        client.close()


def test_ssl_cert_file_trusts_its_own_ca_with_a_context_of_its_own(
    https_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, ca_file = https_server
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    default = ssl_context()
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    own = ssl_context()
    assert own is not default and ssl_context() is own
    assert own.verify_mode == ssl.CERT_REQUIRED and own.check_hostname
    assert probe(url) is True
    client = DistrictClient(url, timeout=10)
    try:
        assert _context_of(client._client) is own
        assert client.info() == {"district_id": "tls-test"}
    finally:
        client.close()
    monkeypatch.delenv("SSL_CERT_FILE")
    assert ssl_context() is default
    assert probe(url) is False
