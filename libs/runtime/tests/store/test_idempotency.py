"""A mutating request's request_id maps to the one result it produced, across retries."""

from __future__ import annotations

import pytest
from sqlalchemy import MetaData, event

from doudi_common.errors import AlreadyExists, InvalidArgument
from doudi_runtime.idempotency import (
    add_idempotency_table,
    fingerprint_of,
    previous_result,
    record_result,
    run_once,
    validate_request_id,
)
from doudi_runtime.store import Database


@pytest.fixture
def store(database_url: str):  # type: ignore[no-untyped-def]
    metadata = MetaData()
    table = add_idempotency_table(metadata)
    database = Database(database_url)
    metadata.create_all(database.engine)
    yield database, table
    database.dispose()


def test_a_new_request_has_no_earlier_result(store) -> None:  # type: ignore[no-untyped-def]
    database, table = store
    with database.transaction() as session:
        assert previous_result(session, table, method="Submit", request_id="r-1", fingerprint="f") is None


def test_a_retry_finds_the_first_result(store) -> None:  # type: ignore[no-untyped-def]
    database, table = store
    fingerprint = fingerprint_of("household", 3)
    with database.transaction() as session:
        record_result(
            session, table, method="Submit", request_id="r-1", fingerprint=fingerprint, result_ref="app_1"
        )
    with database.transaction() as session:
        found = previous_result(session, table, method="Submit", request_id="r-1", fingerprint=fingerprint)
    assert found == "app_1"


def test_a_request_id_reused_for_another_request_is_refused(store) -> None:  # type: ignore[no-untyped-def]
    database, table = store
    with database.transaction() as session:
        record_result(session, table, method="Submit", request_id="r-1", fingerprint="a", result_ref="app_1")
    with pytest.raises(AlreadyExists), database.transaction() as session:
        previous_result(session, table, method="Submit", request_id="r-1", fingerprint="b")
    with pytest.raises(AlreadyExists), database.transaction() as session:
        previous_result(session, table, method="Withdraw", request_id="r-1", fingerprint="a")


def test_a_result_recorded_in_a_rolled_back_transaction_is_forgotten(store) -> None:  # type: ignore[no-untyped-def]
    database, table = store
    with pytest.raises(RuntimeError), database.transaction() as session:
        record_result(session, table, method="Submit", request_id="r-1", fingerprint="a", result_ref="app_1")
        raise RuntimeError("the state change failed")
    with database.transaction() as session:
        assert previous_result(session, table, method="Submit", request_id="r-1", fingerprint="a") is None


@pytest.mark.parametrize("request_id", ["", "x" * 129, "line\nbreak"])
def test_request_ids_are_validated(request_id: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        validate_request_id(request_id)
    assert raised.value.violations[0].field == "request_id"


def test_fingerprints_tell_requests_apart() -> None:
    assert fingerprint_of("a", 1) == fingerprint_of("a", 1)
    assert fingerprint_of("a", 1) != fingerprint_of("a", 2)


def test_run_once_performs_the_first_time_and_replays_after(store) -> None:  # type: ignore[no-untyped-def]
    database, table = store
    performed: list[str] = []

    def perform() -> tuple[str, str]:
        performed.append("done")
        return "ref-1", "first answer"

    answers = []
    for _ in range(2):
        with database.transaction() as session:
            answers.append(
                run_once(
                    session,
                    table,
                    method="Accept",
                    request_id="r-9",
                    fingerprint="f",
                    perform=perform,
                    replay=lambda ref: f"replayed {ref}",
                )
            )
    assert performed == ["done"]
    assert answers == ["first answer", "replayed ref-1"]


def _claimed_run(database: Database, table, request_id: str, fingerprint: str, perform, reference: str):  # type: ignore[no-untyped-def]
    with database.transaction() as session:
        return run_once(
            session,
            table,
            method="Assess",
            request_id=request_id,
            fingerprint=fingerprint,
            perform=perform,
            replay=lambda ref: f"replayed {ref}",
            reference=reference,
        )


def test_a_command_naming_its_result_first_claims_the_key_without_a_lookup(store) -> None:  # type: ignore[no-untyped-def]
    database, table = store
    statements: list[str] = []
    event.listen(database.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    performed: list[str] = []

    def perform() -> tuple[str, str]:
        performed.append("done")
        return "dec_1", "first answer"

    first = _claimed_run(database, table, "r-1", "f", perform, reference="dec_1")
    assert [s for s in statements if "idempotency_keys" in s and s.lstrip().startswith("SELECT")] == []
    second = _claimed_run(database, table, "r-1", "f", perform, reference="dec_2")
    assert (first, second, performed) == ("first answer", "replayed dec_1", ["done"])
    with database.transaction() as session:
        assert previous_result(session, table, method="Assess", request_id="r-1", fingerprint="f") == "dec_1"


def test_a_claimed_key_reused_for_another_request_is_refused(store) -> None:  # type: ignore[no-untyped-def]
    database, table = store
    _claimed_run(database, table, "r-1", "a", lambda: ("dec_1", "answer"), reference="dec_1")
    with pytest.raises(AlreadyExists):
        _claimed_run(database, table, "r-1", "b", lambda: ("dec_2", "other"), reference="dec_2")


def test_a_claim_whose_command_fails_is_given_back_even_if_the_transaction_goes_on(store) -> None:  # type: ignore[no-untyped-def]
    database, table = store

    def fail() -> tuple[str, str]:
        raise RuntimeError("the state change failed")

    with database.transaction() as session, pytest.raises(RuntimeError):
        run_once(
            session,
            table,
            method="Assess",
            request_id="r-1",
            fingerprint="f",
            perform=fail,
            replay=lambda ref: ref,
            reference="dec_1",
        )
        # the caller carries on and commits
    assert _claimed_run(database, table, "r-1", "f", lambda: ("dec_2", "done"), reference="dec_2") == "done"


def test_a_command_must_make_the_result_it_claimed_the_key_for(store) -> None:  # type: ignore[no-untyped-def]
    database, table = store
    with pytest.raises(ValueError, match="claimed"):
        _claimed_run(database, table, "r-1", "f", lambda: ("dec_other", "answer"), reference="dec_1")
    with database.transaction() as session:
        assert previous_result(session, table, method="Assess", request_id="r-1", fingerprint="f") is None
