"""The policy step on a real server: fail closed, forwarded identities, and the hash-chained audit trail."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from sqlalchemy import MetaData, insert, update

from doudi.audit.v1 import audit_pb2, audit_pb2_grpc
from doudi.common.v1.types_pb2 import Period
from doudi_runtime.audit.api import audit_binding
from doudi_runtime.audit.trail import GENESIS_HASH, AuditLog, add_audit_tables
from doudi_runtime.authz.policy import FromRecord, ServicePolicy, rule
from doudi_runtime.authz.principal import Role
from doudi_runtime.grpc.interceptors import ON_BEHALF_OF_KEY
from doudi_runtime.grpc.server import GrpcServer, GrpcServiceBinding
from doudi_runtime.store import Database

from .conftest import SERVICE, TOKEN, EchoServicer, EchoState, _add_echo, make_settings, unary

CLERK = '{"name": "clerk.a", "org": "A乡", "role": "township_office", "region": "640402100"}'
AUDITOR = '{"name": "auditor", "org": "县审计局", "role": "auditor"}'
TOKENS = f'{{"{TOKEN}": "gateway", "clerk": {CLERK}, "auditor": {AUDITOR}}}'
#: "month" carries a record id here; every record lives in township A.
RECORDS = {"2026-01": "640402100000"}


#: How a service forwards the clerk: JSON in ASCII (gRPC metadata values are ASCII).
FORWARDED = json.dumps(json.loads(CLERK))


def as_(token: str, *extra: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"), *extra)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[grpc.Channel, AuditLog, Database]]:
    database = Database(f"sqlite:///{tmp_path / 'audit.db'}")
    metadata = MetaData()
    tables = add_audit_tables(metadata)
    metadata.create_all(database.engine)
    with database.transaction() as session:
        session.execute(insert(tables.head).values(id=1, sequence=0, hash=GENESIS_HASH))
    log = AuditLog(database, tables)
    policy = ServicePolicy(
        SERVICE,
        {
            "Echo": rule(Role.TOWNSHIP_OFFICE, region=FromRecord("record", "month"), mutates=True),
            "WhoAmI": rule(Role.TOWNSHIP_OFFICE, region=FromRecord("record", "month")),
        },
        lookups={"record": RECORDS.get},
        snapshots={"record": lambda key: {"key": key, "region": RECORDS.get(key)}},
        audit=log,
    )
    settings = make_settings(auth_tokens=TOKENS)
    server = GrpcServer(
        settings,
        [GrpcServiceBinding(SERVICE, EchoServicer(EchoState()), _add_echo, policy), audit_binding(log)],
    )
    channel = grpc.insecure_channel(f"127.0.0.1:{server.start()}")
    try:
        yield channel, log, database
    finally:
        channel.close()
        server.stop(0)
        database.dispose()


def code_of(call: object) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as raised:
        call()  # type: ignore[operator]
    return raised.value.code()


def test_a_method_missing_from_the_policy_is_refused_even_to_a_service(served) -> None:  # type: ignore[no-untyped-def]
    channel, _, _ = served
    assert code_of(lambda: unary(channel, "Boom")(Period(month="x"), metadata=as_(TOKEN))) is (
        grpc.StatusCode.PERMISSION_DENIED
    )
    assert unary(channel, "Echo")(Period(month="2026-01"), metadata=as_(TOKEN)).month == "2026-01"


def test_a_service_may_forward_the_person_it_acts_for_and_nobody_else_may(served) -> None:  # type: ignore[no-untyped-def]
    channel, _, _ = served
    who = unary(channel, "WhoAmI")
    answer = who(Period(month="2026-01"), metadata=as_(TOKEN, (ON_BEHALF_OF_KEY, FORWARDED)))
    assert answer.month.startswith("clerk.a|")
    assert code_of(
        lambda: who(Period(month="2026-02"), metadata=as_(TOKEN, (ON_BEHALF_OF_KEY, FORWARDED)))
    ) is (grpc.StatusCode.NOT_FOUND)
    assert code_of(
        lambda: who(Period(month="2026-01"), metadata=as_("clerk", (ON_BEHALF_OF_KEY, FORWARDED)))
    ) is (grpc.StatusCode.PERMISSION_DENIED)
    impostor = '{"name": "x", "role": "service"}'
    assert code_of(
        lambda: who(Period(month="2026-01"), metadata=as_(TOKEN, (ON_BEHALF_OF_KEY, impostor)))
    ) is (grpc.StatusCode.UNAUTHENTICATED)


def test_state_changes_are_chained_in_the_audit_trail_and_an_edited_row_is_found(served) -> None:  # type: ignore[no-untyped-def]
    channel, log, database = served
    echo = unary(channel, "Echo")
    echo(Period(month="2026-01"), metadata=as_("clerk"))
    echo(Period(month="2026-01"), metadata=as_(TOKEN, (ON_BEHALF_OF_KEY, FORWARDED)))
    echo(Period(month="2026-01"), metadata=as_(TOKEN))
    unary(channel, "WhoAmI")(Period(month="2026-01"), metadata=as_("clerk"))  # a read: not audited
    audit = audit_pb2_grpc.AuditServiceStub(channel)

    records = audit.ListAuditRecords(audit_pb2.ListAuditRecordsRequest(), metadata=as_("auditor")).records
    assert [(r.actor, r.actor_role, r.via) for r in records] == [
        ("clerk.a", "township_office", ""),
        ("clerk.a", "township_office", "gateway"),
        ("gateway", "service", ""),
    ]
    first = records[0]
    assert (first.subject_kind, first.subject_id, first.previous_hash) == ("record", "2026-01", GENESIS_HASH)
    assert first.method == f"/{SERVICE}/Echo" and first.peer and first.before_json and first.after_json
    assert [r.previous_hash for r in records[1:]] == [r.hash for r in records[:-1]]
    verdict = audit.GetChainVerification(audit_pb2.GetChainVerificationRequest(), metadata=as_("auditor"))
    assert (verdict.intact, verdict.records_checked) == (True, 3)
    assert code_of(
        lambda: audit.GetChainVerification(audit_pb2.GetChainVerificationRequest(), metadata=as_("clerk"))
    ) is (grpc.StatusCode.PERMISSION_DENIED)

    table = log._tables.records  # the test plays the tamperer, editing the store behind the service's back
    with database.transaction() as session:
        session.execute(update(table).where(table.c.sequence == 2).values(actor="somebody.else"))
    verdict = audit.GetChainVerification(audit_pb2.GetChainVerificationRequest(), metadata=as_("auditor"))
    assert (verdict.intact, verdict.first_broken_sequence, verdict.records_checked) == (False, 2, 1)
    assert "hash" in verdict.problem


def test_a_deleted_record_breaks_the_chain_at_its_place(served) -> None:  # type: ignore[no-untyped-def]
    channel, log, database = served
    for _ in range(3):
        unary(channel, "Echo")(Period(month="2026-01"), metadata=as_("clerk"))
    table = log._tables.records
    with database.transaction() as session:
        session.execute(table.delete().where(table.c.sequence == 3))
    verdict = log.verify()
    assert (verdict.intact, verdict.first_broken_sequence) == (False, 3)
