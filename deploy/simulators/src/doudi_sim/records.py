"""The department-records simulator's gRPC servicer (doudi.records.v1.DepartmentRecordsService)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import grpc

from doudi.common.v1 import types_pb2
from doudi.records.v1 import records_pb2, records_pb2_grpc
from doudi_common.errors import Unavailable
from doudi_common.idcard import china_today
from doudi_common.period import Period, months_between
from doudi_common.validation import Violations
from doudi_sim.faults import before_answer
from doudi_sim.fixtures import fixed_records
from doudi_sim.population import records_for
from doudi_sim.settings import RecordsSettings


def _names(text: str) -> set[str]:
    return {name.strip().upper() for name in text.split(",") if name.strip()}


ALL_SOURCES = [value for value in records_pb2.Source.values() if value != records_pb2.SOURCE_UNSPECIFIED]


def _period(message: types_pb2.Period, field: str, violations: Violations, default: Period) -> Period:
    if not message.month:
        return default
    return violations.require_period(message.month, field) or default


#: The most people one QueryPeople call may ask about (a household, with room to spare).
MAX_PEOPLE = 50


@dataclass(frozen=True)
class _Query:
    resident: str
    first: Period
    last: Period


class DepartmentRecords(records_pb2_grpc.DepartmentRecordsServiceServicer):
    def __init__(self, settings: RecordsSettings) -> None:
        self._settings = settings
        self.down_sources = _names(settings.sim_down_sources)
        self.slow_sources = _names(settings.sim_slow_sources)

    def QueryPerson(
        self, request: records_pb2.QueryPersonRequest, context: grpc.ServicerContext
    ) -> records_pb2.QueryPersonResponse:
        violations = Violations()
        query = self._validated(request, violations)
        violations.raise_if_any()
        assert query is not None
        before_answer(self._settings, "records", query.resident)
        self._wait_for_slow_sources(request)
        return records_pb2.QueryPersonResponse(answers=self._answers(request, query))

    def QueryPeople(
        self, request: records_pb2.QueryPeopleRequest, context: grpc.ServicerContext
    ) -> records_pb2.QueryPeopleResponse:
        """Each person as QueryPerson answers them; a person the system fails to answer carries the reason,
        and the others are answered. The slow sources are waited for once, as an adapter asking them in
        parallel would."""
        violations = Violations()
        violations.check(bool(request.people), "people", "ask about at least one person")
        violations.check(len(request.people) <= MAX_PEOPLE, "people", f"at most {MAX_PEOPLE} people per call")
        queries = []
        for index, person in enumerate(request.people):
            with violations.nested(f"people[{index}]"):
                queries.append(self._validated(person, violations))
        violations.raise_if_any()
        if any(self._slow(p) for p in request.people):
            time.sleep(self._settings.sim_slow_source_ms / 1000)
        people = []
        for person, query in zip(request.people, queries, strict=True):
            assert query is not None
            try:
                before_answer(self._settings, "records", query.resident)
            except Unavailable as failure:
                people.append(records_pb2.PersonAnswers(error=f"UNAVAILABLE: {failure}"))
                continue
            people.append(records_pb2.PersonAnswers(answers=self._answers(person, query)))
        return records_pb2.QueryPeopleResponse(people=people)

    def _validated(self, request: records_pb2.QueryPersonRequest, violations: Violations) -> _Query | None:
        count = len(violations)
        resident = violations.require_id_number(request.id_number.value, "id_number")
        violations.require_nonempty(request.purpose, "purpose")
        violations.require_nonempty(request.consent_reference, "consent_reference")
        this_month = Period.of(china_today())
        last = _period(request.period_to, "period_to", violations, this_month)
        first = _period(request.period_from, "period_from", violations, last.plus(-11))
        violations.check(first <= last, "period_from", "must not be after period_to")
        for index, source in enumerate(request.sources):
            violations.check(source in ALL_SOURCES, f"sources[{index}]", "is not a known source")
        if resident is None or len(violations) > count:
            return None
        return _Query(resident.value, first, last)

    def _slow(self, request: records_pb2.QueryPersonRequest) -> bool:
        asked = [records_pb2.Source.Name(s).removeprefix("SOURCE_") for s in request.sources or ALL_SOURCES]
        return bool(self.slow_sources & set(asked))

    def _wait_for_slow_sources(self, request: records_pb2.QueryPersonRequest) -> None:
        if self._slow(request):
            time.sleep(self._settings.sim_slow_source_ms / 1000)

    def _answers(
        self, request: records_pb2.QueryPersonRequest, query: _Query
    ) -> list[records_pb2.SourceAnswer]:
        first, last = query.first, query.last
        as_of = types_pb2.Date(year=last.last_day.year, month=last.last_day.month, day=last.last_day.day)
        answers = []
        for source in request.sources or ALL_SOURCES:
            name = records_pb2.Source.Name(source).removeprefix("SOURCE_")
            if name in self.slow_sources:
                answers.append(
                    records_pb2.SourceAnswer(
                        source=source,
                        status=records_pb2.SOURCE_STATUS_UNAVAILABLE,
                        error=f"{name} did not answer within {self._settings.sim_slow_source_ms} ms",
                    )
                )
                continue
            if name in self.down_sources:
                answers.append(
                    records_pb2.SourceAnswer(
                        source=source, status=records_pb2.SOURCE_STATUS_UNAVAILABLE, error=f"{name} is down"
                    )
                )
                continue
            found = fixed_records(query.resident, name, months_between(first, last) + 1)
            if found is None:
                found = records_for(self._settings.sim_seed, query.resident, name, first, last)
            items = [
                records_pb2.RecordItem(item=i.item, amount_fen=i.amount_fen, attributes=i.attributes)
                for i in found
            ]
            answers.append(
                records_pb2.SourceAnswer(
                    source=source, status=records_pb2.SOURCE_STATUS_OK, as_of=as_of, items=items
                )
            )
        return answers
