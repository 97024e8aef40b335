"""Asking the departments (doudi.records.v1) about the counted members, in parallel, with deadlines.

The verification centre's adapter fans one person's query out to the sources and answers with a
status per source; doudi asks for every counted member at once, each call under its own deadline. A
member whose call fails or runs out of time is missing from every source asked, by name.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import grpc
from prometheus_client import Histogram

from doudi.common.v1 import types_pb2
from doudi.records.v1 import records_pb2, records_pb2_grpc
from doudi_common.period import Period
from doudi_runtime.grpc.client import ChannelFactory
from doudi_verification.domain.records import Item, SourceOutcome

log = logging.getLogger(__name__)

QUERY_SECONDS = Histogram(
    "doudi_verification_records_query_seconds",
    "Time to get one person's answers from the department records, by outcome.",
    ["outcome"],
)


@dataclass(frozen=True)
class PersonQuery:
    member_index: int
    id_number: str
    consent_reference: str


class RecordsGateway:
    def __init__(
        self, channels: ChannelFactory, target: str, *, deadline_seconds: float, parallelism: int = 16
    ) -> None:
        self._channels = channels
        self._stub = records_pb2_grpc.DepartmentRecordsServiceStub(channels.channel(target))
        self._deadline = deadline_seconds
        self._pool = ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="records-query")

    def ask(
        self, people: Sequence[PersonQuery], sources: Sequence[str], first: Period, last: Period, purpose: str
    ) -> list[SourceOutcome]:
        futures = [
            self._pool.submit(self._ask_one, person, sources, first, last, purpose) for person in people
        ]
        outcomes: list[SourceOutcome] = []
        for future in futures:
            outcomes.extend(future.result())
        return outcomes

    def _ask_one(
        self, person: PersonQuery, sources: Sequence[str], first: Period, last: Period, purpose: str
    ) -> list[SourceOutcome]:
        request = records_pb2.QueryPersonRequest(
            id_number=types_pb2.IdNumber(value=person.id_number),
            purpose=purpose,
            consent_reference=person.consent_reference,
            sources=[records_pb2.Source.Value(f"SOURCE_{name}") for name in sources],
            period_from=types_pb2.Period(month=str(first)),
            period_to=types_pb2.Period(month=str(last)),
        )
        started = time.perf_counter()
        try:
            response = self._channels.call(
                self._stub.QueryPerson, request, idempotent=True, timeout=self._deadline, retries=1
            )
        except grpc.RpcError as error:
            QUERY_SECONDS.labels(error.code().name.lower()).observe(time.perf_counter() - started)
            reason = f"{error.code().name}: {error.details() or 'no answer'}"
            return [SourceOutcome(person.member_index, source, False, error=reason) for source in sources]
        QUERY_SECONDS.labels("answered").observe(time.perf_counter() - started)
        answered = {records_pb2.Source.Name(a.source).removeprefix("SOURCE_") for a in response.answers}
        silent = [
            SourceOutcome(person.member_index, source, False, error="the source gave no answer")
            for source in sources
            if source not in answered
        ]
        return [self._outcome(person.member_index, answer) for answer in response.answers] + silent

    @staticmethod
    def _outcome(member_index: int, answer: records_pb2.SourceAnswer) -> SourceOutcome:
        source = records_pb2.Source.Name(answer.source).removeprefix("SOURCE_")
        if answer.status != records_pb2.SOURCE_STATUS_OK:
            status = records_pb2.SourceStatus.Name(answer.status).removeprefix("SOURCE_STATUS_")
            return SourceOutcome(member_index, source, False, error=f"{status}: {answer.error}".strip(": "))
        as_of = date(answer.as_of.year, answer.as_of.month, answer.as_of.day) if answer.as_of.year else None
        items = tuple(
            Item(
                member_index=member_index,
                source=source,
                item=record.item,
                amount_fen=record.amount_fen,
                attributes=tuple(sorted(record.attributes.items())),
                as_of=as_of,
            )
            for record in answer.items
        )
        return SourceOutcome(member_index, source, True, items=items)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
