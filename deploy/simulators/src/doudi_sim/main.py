"""Run a simulator: python -m doudi_sim records | bank."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from doudi.bank.v1 import bank_pb2_grpc
from doudi.records.v1 import records_pb2_grpc
from doudi.simulator.v1 import bank_pb2_grpc as simulator_pb2_grpc
from doudi_runtime.grpc.server import GrpcServiceBinding
from doudi_runtime.service import ServiceContext, ServiceDefinition, load_settings, run_role, single_api
from doudi_sim.bank import Bank
from doudi_sim.bank_control import BankSimulator
from doudi_sim.records import DepartmentRecords
from doudi_sim.settings import BankSettings, RecordsSettings

RECORDS = ServiceDefinition(
    name="records_sim",
    settings_type=RecordsSettings,
    store=None,
    grpc_bindings=single_api(
        "doudi.records.v1.DepartmentRecordsService",
        lambda context: DepartmentRecords(context.settings),
        records_pb2_grpc.add_DepartmentRecordsServiceServicer_to_server,
    ),
)


def _bank_bindings(context: ServiceContext[BankSettings]) -> list[GrpcServiceBinding]:
    """The bank contract, and the simulator's own API over the same books and faults."""
    bank = context.shared("bank", lambda: Bank(context.settings))
    return [
        GrpcServiceBinding(
            "doudi.bank.v1.BankService", bank, bank_pb2_grpc.add_BankServiceServicer_to_server
        ),
        GrpcServiceBinding(
            "doudi.simulator.v1.BankSimulatorService",
            BankSimulator(bank),
            simulator_pb2_grpc.add_BankSimulatorServiceServicer_to_server,
        ),
    ]


BANK = ServiceDefinition(
    name="bank_sim", settings_type=BankSettings, store=None, grpc_bindings=_bank_bindings
)
SIMULATORS = {"records": RECORDS, "bank": BANK}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="doudi-sim", description="simulators of systems outside doudi")
    parser.add_argument("simulator", choices=sorted(SIMULATORS))
    args = parser.parse_args(argv)
    definition = SIMULATORS[args.simulator]
    return run_role(definition, "serve", load_settings(definition.settings_type))


if __name__ == "__main__":
    sys.exit(main())
