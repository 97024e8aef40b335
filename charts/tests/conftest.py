"""Renders the chart once per values file with Helm's own Go SDK (helm-python-sdk; no helm binary)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import yaml

CHART = Path(__file__).resolve().parents[1] / "doudi"
PRODUCTION_VALUES = CHART / "ci" / "production-values.yaml"
RELEASE = "doudi"
NAMESPACE = "doudi"


@dataclass(frozen=True)
class Rendered:
    """The manifests of one render, by kind, plus NOTES.txt."""

    values: dict[str, Any]
    objects: list[dict[str, Any]]
    notes: str

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o["kind"] == kind]

    def named(self, kind: str, name: str) -> dict[str, Any]:
        matches = [o for o in self.of_kind(kind) if o["metadata"]["name"] == name]
        assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
        return matches[0]


def render(values: dict[str, Any] | None = None) -> Rendered:
    with helm.Chart.load(CHART) as chart:
        merged = chart.merge_values(values or {})
        manifests = chart.render(values or {}, name=RELEASE, namespace=NAMESPACE, is_install=True)
    objects: list[dict[str, Any]] = []
    notes = ""
    for path, text in sorted(manifests.items()):
        if path.endswith("NOTES.txt"):
            notes = text
            continue
        objects += [doc for doc in yaml.safe_load_all(text) if doc]
    return Rendered(merged, objects, notes)


def production_values() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(PRODUCTION_VALUES.read_text())
    return loaded


@pytest.fixture(scope="session")
def default_render() -> Rendered:
    return render()


@pytest.fixture(scope="session")
def production_render() -> Rendered:
    return render(production_values())


@pytest.fixture(scope="session", params=["defaults", "production"])
def any_render(
    request: pytest.FixtureRequest, default_render: Rendered, production_render: Rendered
) -> Iterator[Rendered]:
    yield default_render if request.param == "defaults" else production_render


@pytest.fixture(scope="session")
def render_chart() -> Any:
    """The render function itself, for tests that try values of their own."""
    return render


@pytest.fixture(scope="session")
def chart_dir() -> Path:
    return CHART


@pytest.fixture(scope="session")
def production_values_file() -> Path:
    return PRODUCTION_VALUES
