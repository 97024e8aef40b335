"""The local sign-in issuer: a key made once under the run directory, trusted by the run's gateway."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from doudi_gateway.main import GatewaySettings, sign_in
from doudi_gateway.signin import InvalidToken
from doudi_platform.cli import main
from doudi_platform.components import RunContext, platform_components
from doudi_platform.ports import PortPlan
from doudi_platform.signin import DIR_NAME, ensure_issuer
from doudi_runtime.authz.principal import Role


def gateway_settings(run_dir: Path) -> GatewaySettings:
    """The gateway's settings exactly as `make run` starts it."""
    issuer, _ = ensure_issuer(run_dir / DIR_NAME)
    context = RunContext(
        run_dir=run_dir,
        ports=PortPlan(0),
        platform_token="p",
        operator_token="o",
        python="python3",
        sign_in=issuer,
    )
    (gateway,) = [c for c in platform_components(context) if c.name == "gateway"]
    return GatewaySettings(**{k.lower(): v for k, v in gateway.env.items()})


def test_the_key_is_made_once_readable_by_its_owner_only_and_then_reused(tmp_path: Path) -> None:
    issuer, made = ensure_issuer(tmp_path / DIR_NAME)
    assert made
    assert stat.S_IMODE(issuer.key_file.stat().st_mode) == 0o600
    key = issuer.key_file.read_bytes()
    again, made_again = ensure_issuer(tmp_path / DIR_NAME)
    assert not made_again and again.key_file.read_bytes() == key


def test_only_the_gateway_is_told_to_trust_the_issuer(tmp_path: Path) -> None:
    issuer, _ = ensure_issuer(tmp_path / DIR_NAME)
    context = RunContext(
        run_dir=tmp_path,
        ports=PortPlan(0),
        platform_token="p",
        operator_token="o",
        python="python3",
        sign_in=issuer,
    )
    trusting = {c.name for c in platform_components(context) if "OIDC_ISSUER" in c.env}
    assert trusting == {"gateway"}


def test_a_token_from_the_cli_signs_the_caseworker_in_at_the_runs_gateway(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    verifier = sign_in(gateway_settings(tmp_path))
    assert verifier is not None
    argv = ["--run-dir", str(tmp_path), "token", "--name", "clerk.a", "--role", "township_office"]
    assert main([*argv, "--region", "640402100", "--org", "A乡"]) == 0
    person = verifier.principal(capsys.readouterr().out.strip())
    assert (person.name, person.role, person.org) == ("clerk.a", Role.TOWNSHIP_OFFICE, "A乡")
    assert [r.code for r in person.regions] == ["640402100000"]


def test_an_expired_local_token_is_refused(tmp_path: Path) -> None:
    verifier = sign_in(gateway_settings(tmp_path))
    assert verifier is not None
    issuer, _ = ensure_issuer(tmp_path / DIR_NAME)
    stale = issuer.issue(
        name="clerk.a",
        role="township_office",
        region=["640402100"],
        valid_for=timedelta(hours=1),
        now=datetime.now(UTC) - timedelta(hours=2),
    )
    with pytest.raises(InvalidToken):
        verifier.principal(stale)


def test_a_token_of_another_runs_key_is_refused(tmp_path: Path) -> None:
    verifier = sign_in(gateway_settings(tmp_path / "mine"))
    assert verifier is not None
    other, _ = ensure_issuer(tmp_path / "other" / DIR_NAME)
    with pytest.raises(InvalidToken):
        verifier.principal(other.issue(name="clerk.a", role="township_office", region=["640402100"]))
