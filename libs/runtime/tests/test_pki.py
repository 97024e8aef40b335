"""The local CA: a service's certificate names it by URI, and only that URI names a service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from doudi_runtime.pki import (
    SERVICE_URI_PREFIX,
    CertificateAuthority,
    certificate_uris,
    issued_by,
    service_name_of,
    service_uri,
)

NAMES = st.text(alphabet=st.characters(codec="ascii", exclude_characters="/"), min_size=1, max_size=40)


@given(NAMES)
def test_a_service_uri_names_its_service(name: str) -> None:
    assert service_name_of([service_uri(name)]) == name


@given(st.lists(st.text(max_size=60).filter(lambda uri: not uri.startswith(SERVICE_URI_PREFIX))))
def test_other_uris_name_no_service(uris: list[str]) -> None:
    assert service_name_of(uris) is None


def test_a_nested_path_is_not_a_service_name() -> None:
    assert service_name_of([service_uri("intake/admin")]) is None
    assert service_name_of([SERVICE_URI_PREFIX]) is None


def test_issued_certificates_chain_to_their_ca_and_end_with_it() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    ca = CertificateAuthority.create("test CA", valid_for=timedelta(days=2), now=now)
    other = CertificateAuthority.create("test CA", valid_for=timedelta(days=2), now=now)
    leaf = ca.issue("intake", service="intake", valid_for=timedelta(days=30), now=now).certificate
    assert issued_by(leaf, ca.pair.certificate)
    assert not issued_by(leaf, other.pair.certificate)
    assert certificate_uris(leaf) == [service_uri("intake")]
    assert leaf.not_valid_after_utc <= ca.pair.certificate.not_valid_after_utc
    assert certificate_uris(ca.issue("operator", valid_for=timedelta(days=1), now=now).certificate) == []
