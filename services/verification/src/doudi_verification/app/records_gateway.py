"""Asking the departments (doudi.records.v1) about the counted members, with deadlines.

The verification centre's adapter fans each person's query out to the sources and answers with a
status per source. doudi asks about the whole household in one QueryPeople call; an adapter that does
not offer it (UNIMPLEMENTED) is asked person by person, in parallel, from then on. A member whose
answer fails or runs out of time is missing from every source asked, by name.
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
    "Time of one call to the department records (a household, or a person), by outcome.",
    ["outcome"],
)


@dataclass(frozen=True)
class PersonQuery:
    member_index: int
    id_number: str
    consent_reference: str


def _request(
    person: PersonQuery, sources: Sequence[str], first: Period, last: Period, purpose: str
) -> records_pb2.QueryPersonRequest:
    return records_pb2.QueryPersonRequest(
        id_number=types_pb2.IdNumber(value=person.id_number),
        purpose=purpose,
        consent_reference=person.consent_reference,
        sources=[records_pb2.Source.Value(f"SOURCE_{name}") for name in sources],
        period_from=types_pb2.Period(month=str(first)),
        period_to=types_pb2.Period(month=str(last)),
    )


class RecordsGateway:
    def __init__(
        self, channels: ChannelFactory, target: str, *, deadline_seconds: float, parallelism: int = 16
    ) -> None:
        self._channels = channels
        self._stub = records_pb2_grpc.DepartmentRecordsServiceStub(channels.channel(target))
        self._deadline = deadline_seconds
        self._pool = ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="records-query")
        #: Whether the adapter answers QueryPeople; cleared the first time it says UNIMPLEMENTED.
        self._batched = True

    def ask(
        self, people: Sequence[PersonQuery], sources: Sequence[str], first: Period, last: Period, purpose: str
    ) -> list[SourceOutcome]:
        if self._batched and len(people) > 1:
            outcomes = self._ask_together(people, sources, first, last, purpose)
            if outcomes is not None:
                return outcomes
        futures = [
            self._pool.submit(self._ask_one, person, sources, first, last, purpose) for person in people
        ]
        outcomes: list[SourceOutcome] = []
        for future in futures:
            outcomes.extend(future.result())
        return outcomes

    def _ask_together(
        self, people: Sequence[PersonQuery], sources: Sequence[str], first: Period, last: Period, purpose: str
    ) -> list[SourceOutcome] | None:
        """One call for the household; None when the adapter does not offer it (asked person by person)."""
        request = records_pb2.QueryPeopleRequest(
            people=[_request(person, sources, first, last, purpose) for person in people]
        )
        started = time.perf_counter()
        try:
            response = self._channels.call(
                self._stub.QueryPeople, request, idempotent=True, timeout=self._deadline, retries=1
            )
        except grpc.RpcError as error:
            QUERY_SECONDS.labels(error.code().name.lower()).observe(time.perf_counter() - started)
            if error.code() is grpc.StatusCode.UNIMPLEMENTED:
                log.warning("the records adapter has no QueryPeople; asking person by person")
                self._batched = False
                return None
            reason = f"{error.code().name}: {error.details() or 'no answer'}"
            return [
                SourceOutcome(person.member_index, source, False, error=reason)
                for person in people
                for source in sources
            ]
        QUERY_SECONDS.labels("answered").observe(time.perf_counter() - started)
        answered = list(response.people)
        if len(answered) != len(people):
            answered = [records_pb2.PersonAnswers(error="the adapter answered for other people")] * len(
                people
            )
        outcomes: list[SourceOutcome] = []
        for person, answers in zip(people, answered, strict=True):
            if answers.error:
                outcomes += [
                    SourceOutcome(person.member_index, s, False, error=answers.error) for s in sources
                ]
            else:
                outcomes += self._outcomes(person.member_index, answers.answers, sources)
        return outcomes

    def _ask_one(
        self, person: PersonQuery, sources: Sequence[str], first: Period, last: Period, purpose: str
    ) -> list[SourceOutcome]:
        request = _request(person, sources, first, last, purpose)
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
        return self._outcomes(person.member_index, response.answers, sources)

    def _outcomes(
        self, member_index: int, answers: Sequence[records_pb2.SourceAnswer], sources: Sequence[str]
    ) -> list[SourceOutcome]:
        answered = {records_pb2.Source.Name(a.source).removeprefix("SOURCE_") for a in answers}
        silent = [
            SourceOutcome(member_index, source, False, error="the source gave no answer")
            for source in sources
            if source not in answered
        ]
        return [self._outcome(member_index, answer) for answer in answers] + silent

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
