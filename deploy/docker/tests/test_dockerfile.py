"""The container build: multi-stage, slim, non-root, and pinned like the rest of the repository."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
DOCKERFILE = (REPO / "deploy/docker/Dockerfile").read_text()
DOCKERIGNORE = (REPO / ".dockerignore").read_text().splitlines()


def _arg(name: str) -> str:
    match = re.search(rf"^ARG {name}=(\S+)$", DOCKERFILE, re.MULTILINE)
    assert match, f"no ARG {name}"
    return match.group(1)


def test_build_and_runtime_stages_on_a_slim_python_3_11() -> None:
    assert _arg("PYTHON_IMAGE") == "python:3.11-slim-bookworm"
    assert re.findall(r"^FROM \S+ AS (\w+)$", DOCKERFILE, re.MULTILINE) == ["build", "runtime"]
    assert "COPY --from=build /opt/doudi /opt/doudi" in DOCKERFILE


def test_the_image_runs_as_an_unprivileged_user() -> None:
    users = re.findall(r"^USER (\S+)$", DOCKERFILE, re.MULTILINE)
    assert users == ["10001:10001"], (
        "the last USER must be the non-root uid the chart's securityContext names"
    )
    assert "PYTHONDONTWRITEBYTECODE=1" in DOCKERFILE and "UV_COMPILE_BYTECODE=1" in DOCKERFILE


def test_pins_agree_with_the_makefile_and_the_lock() -> None:
    makefile = (REPO / "Makefile").read_text()
    assert re.search(rf"^UV_VERSION := {re.escape(_arg('UV_VERSION'))}$", makefile, re.MULTILINE)
    dev = tomllib.loads((REPO / "pyproject.toml").read_text())["dependency-groups"]["dev"]
    assert f"grpcio-tools=={_arg('GRPCIO_TOOLS_VERSION')}" in dev
    assert f"mypy-protobuf=={_arg('MYPY_PROTOBUF_VERSION')}" in dev
    assert "uv sync --locked --no-dev --no-editable" in DOCKERFILE


def test_every_service_can_be_built_alone() -> None:
    services = sorted(p.name for p in (REPO / "services").iterdir() if (p / "pyproject.toml").exists())
    case = re.search(
        r"^\s+(\S+)\) \\\n\s+uv sync .*--package \"doudi-\$\{SERVICE\}\"", DOCKERFILE, re.MULTILINE
    )
    assert case, "no case for single services"
    assert sorted(case.group(1).split("|")) == services


def test_the_build_context_leaves_out_local_state_and_generated_code() -> None:
    for pattern in (".venv", ".tools", ".run", "**/.git", "libs/contracts/src/doudi", "charts"):
        assert pattern in DOCKERIGNORE, pattern
