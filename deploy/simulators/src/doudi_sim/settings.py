"""Settings of the simulators: the runtime's settings plus the knobs that inject faults."""

from __future__ import annotations

from pydantic import Field

from doudi_runtime.settings import ServiceSettings


class SimulatorSettings(ServiceSettings):
    sim_seed: int = 1
    sim_latency_ms: int = Field(default=0, ge=0)
    sim_error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    sim_down: bool = False


class RecordsSettings(SimulatorSettings):
    service_name: str = "records_sim"
    grpc_port: int = 15071
    metrics_port: int = 9171
    #: Comma-separated Source names (e.g. "TAX,FINANCIAL") that answer UNAVAILABLE.
    sim_down_sources: str = ""
    #: Comma-separated Source names that are slow: the adapter waits sim_slow_source_ms for them,
    #: then reports them UNAVAILABLE (timed out) while the other sources answer.
    sim_slow_sources: str = ""
    sim_slow_source_ms: int = Field(default=200, ge=0)


class BankSettings(SimulatorSettings):
    service_name: str = "bank_sim"
    grpc_port: int = 15072
    metrics_port: int = 9172
    #: Accounts whose number ends with this come back RETURNED ("account closed").
    sim_return_accounts_ending: str = "0000"
    #: Share of batches recorded and then answered too late: the bank committed, the caller timed out.
    sim_timeout_after_commit_rate: float = Field(default=0.0, ge=0.0, le=1.0)
