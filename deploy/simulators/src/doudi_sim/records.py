"""The department-records simulator's gRPC servicer (doudi.records.v1.DepartmentRecordsService)."""

from __future__ import annotations

import time

import grpc

from doudi.common.v1 import types_pb2
from doudi.records.v1 import records_pb2, records_pb2_grpc
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


class DepartmentRecords(records_pb2_grpc.DepartmentRecordsServiceServicer):
    def __init__(self, settings: RecordsSettings) -> None:
        self._settings = settings
        self.down_sources = _names(settings.sim_down_sources)
        self.slow_sources = _names(settings.sim_slow_sources)

    def QueryPerson(
        self, request: records_pb2.QueryPersonRequest, context: grpc.ServicerContext
    ) -> records_pb2.QueryPersonResponse:
        violations = Violations()
        resident = violations.require_id_number(request.id_number.value, "id_number")
        violations.require_nonempty(request.purpose, "purpose")
        violations.require_nonempty(request.consent_reference, "consent_reference")
        this_month = Period.of(china_today())
        last = _period(request.period_to, "period_to", violations, this_month)
        first = _period(request.period_from, "period_from", violations, last.plus(-11))
        violations.check(first <= last, "period_from", "must not be after period_to")
        for index, source in enumerate(request.sources):
            violations.check(source in ALL_SOURCES, f"sources[{index}]", "is not a known source")
        violations.raise_if_any()
        assert resident is not None
        before_answer(self._settings, "records", resident.value)
        as_of = types_pb2.Date(year=last.last_day.year, month=last.last_day.month, day=last.last_day.day)
        answers = []
        asked = [records_pb2.Source.Name(s).removeprefix("SOURCE_") for s in request.sources or ALL_SOURCES]
        if self.slow_sources & set(asked):
            time.sleep(self._settings.sim_slow_source_ms / 1000)
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
            found = fixed_records(resident.value, name, months_between(first, last) + 1)
            if found is None:
                found = records_for(self._settings.sim_seed, resident.value, name, first, last)
            items = [
                records_pb2.RecordItem(item=i.item, amount_fen=i.amount_fen, attributes=i.attributes)
                for i in found
            ]
            answers.append(
                records_pb2.SourceAnswer(
                    source=source, status=records_pb2.SOURCE_STATUS_OK, as_of=as_of, items=items
                )
            )
        return records_pb2.QueryPersonResponse(answers=answers)
