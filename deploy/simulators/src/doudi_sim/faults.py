"""Deterministic fault injection shared by the simulators: latency, errors, a system down."""

from __future__ import annotations

import hashlib
import time

from doudi_common.errors import Unavailable
from doudi_sim.settings import SimulatorSettings


def chance(seed: int, *parts: str) -> float:
    """A number in [0, 1) that depends only on the seed and the parts: the same request, the same fate."""
    digest = hashlib.sha256("\x1f".join((str(seed), *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def before_answer(settings: SimulatorSettings, *request_key: str) -> None:
    if settings.sim_down:
        raise Unavailable("the system is down")
    if settings.sim_latency_ms:
        time.sleep(settings.sim_latency_ms / 1000)
    if settings.sim_error_rate and chance(settings.sim_seed, "error", *request_key) < settings.sim_error_rate:
        raise Unavailable("the system failed to answer this request")
