"""What the contract tests that reach a bank share: the bank simulator served over gRPC, and a disbursement
context whose bank gateway calls it as the deployed service would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from doudi_disbursement.main import DEFINITION as DISBURSEMENT
from doudi_disbursement.main import DisbursementSettings
from doudi_runtime.grpc.server import GrpcServer
from doudi_runtime.service import ServiceContext, build_context, migrate
from doudi_sim.main import BANK
from doudi_sim.settings import BankSettings

TOKEN = "contract-token"


@dataclass
class BankedDisbursement:
    context: ServiceContext[Any]
    #: The simulator's servicer: its books, and the switches that make it time out, return or go down.
    bank: Any


@contextmanager
def disbursement_with_bank(tmp_path: Path, database: str = "d.db") -> Iterator[BankedDisbursement]:
    """A migrated disbursement store in ``tmp_path`` paying through a bank simulator on a loopback port."""
    bank_settings = BankSettings(grpc_port=0, metrics_port=0, auth_tokens=f'{{"{TOKEN}": "disbursement"}}')
    bank_bindings = list(BANK.grpc_bindings(build_context(BANK, bank_settings)))
    bank = GrpcServer(bank_settings, bank_bindings)
    settings = DisbursementSettings(
        grpc_port=0,
        metrics_port=0,
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / database}",
        auth_tokens=f'{{"{TOKEN}": "county-clerk"}}',
        client_token=TOKEN,
        bank_target=f"127.0.0.1:{bank.start()}",
        bank_deadline_seconds=5,
    )
    migrate(DISBURSEMENT, settings)
    disbursement = build_context(DISBURSEMENT, settings)
    try:
        yield BankedDisbursement(disbursement, bank_bindings[0].servicer)
    finally:
        bank.stop(0)
        disbursement.persistence().database.dispose()
