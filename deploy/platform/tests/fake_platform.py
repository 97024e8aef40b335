"""Runs the real runner with three fake services (argv: RUN_DIR PORT_OFFSET [die])."""

import sys
from pathlib import Path

from doudi_platform.components import Component, RunContext
from doudi_platform.ports import PortPlan
from doudi_platform.runner import run

HERE = Path(__file__).resolve().parent


def fake_components(behaviour: str):  # type: ignore[no-untyped-def]
    def factory(context: RunContext) -> list[Component]:
        components = []
        for index, name in enumerate(("intake", "verification", "eligibility")):
            mode = behaviour if index == 1 else "serve"
            port = context.ports.grpc(name)
            components.append(
                Component(
                    name=name,
                    argv=(context.python, str(HERE / "fake_service.py"), str(port), mode),
                    env=context.env_for(name),
                    grpc_port=port,
                    metrics_port=context.ports.metrics(name),
                    store=context.data_dir / f"{name}.db",
                )
            )
        return components

    return factory


if __name__ == "__main__":
    run_dir, offset = Path(sys.argv[1]), int(sys.argv[2])
    behaviour = sys.argv[3] if len(sys.argv) > 3 else "serve"
    sys.exit(run(run_dir, PortPlan(offset), factory=fake_components(behaviour), timeout=30))
