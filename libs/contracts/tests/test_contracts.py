"""The contracts keep their conventions: fresh generated code, buf-style protos, a consistent catalogue."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
from pathlib import Path

import pytest
from google.protobuf import descriptor_pool
from google.protobuf.descriptor import FieldDescriptor, FileDescriptor

import doudi
from doudi_contracts.topics import CATALOGUE, EXTERNAL_PRODUCER, all_topic_names, dlq_topic, topic

CONTRACTS = Path(__file__).resolve().parents[1]
TOPIC_NAME = re.compile(r"^doudi\.([a-z_]+)\.([a-z_]+)\.v1$")
#: RPCs that only read: every other RPC changes something and must take a request_id.
READ_PREFIXES = ("Get", "List", "Query")


def _load_build_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("build_protos", CONTRACTS / "build_protos.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _generated_files() -> list[FileDescriptor]:
    files = []
    for module_info in pkgutil.walk_packages(doudi.__path__, "doudi."):
        if module_info.name.endswith("_pb2"):
            files.append(importlib.import_module(module_info.name).DESCRIPTOR)
    return files


FILES = _generated_files()


def test_generated_code_is_built_from_the_current_protos() -> None:
    build = _load_build_script()
    stamp = (CONTRACTS / "src" / "doudi" / "PROTOS_DIGEST").read_text().strip()
    assert stamp == build.protos_digest(), "generated code is stale: run `make proto`"


def test_every_area_is_generated() -> None:
    packages = {f.package for f in FILES}
    for area in ("common", "intake", "verification", "eligibility", "disbursement", "care", "dispatch"):
        assert f"doudi.{area}.v1" in packages
    assert {"doudi.records.v1", "doudi.bank.v1"} <= packages


@pytest.mark.parametrize("file", FILES, ids=lambda f: f.name)
def test_mutating_rpcs_take_a_request_id_first(file: FileDescriptor) -> None:
    for service in file.services_by_name.values():
        for method in service.methods:
            if method.name.startswith(READ_PREFIXES):
                continue
            first = method.input_type.fields_by_number.get(1)
            assert first is not None and first.name == "request_id", f"{service.name}.{method.name}"
            assert first.type == FieldDescriptor.TYPE_STRING


@pytest.mark.parametrize("file", FILES, ids=lambda f: f.name)
def test_rpcs_use_their_own_request_and_response(file: FileDescriptor) -> None:
    for service in file.services_by_name.values():
        for method in service.methods:
            assert method.input_type.name == f"{method.name}Request"
            assert method.output_type.name == f"{method.name}Response"


def _messages(file: FileDescriptor):  # type: ignore[no-untyped-def]
    stack = list(file.message_types_by_name.values())
    while stack:
        message = stack.pop()
        yield message
        stack.extend(message.nested_types)


@pytest.mark.parametrize("file", FILES, ids=lambda f: f.name)
def test_money_is_integer_fen(file: FileDescriptor) -> None:
    for message in _messages(file):
        for field in message.fields:
            if field.name.endswith("_fen"):
                assert field.type == FieldDescriptor.TYPE_INT64, f"{message.full_name}.{field.name}"
            assert field.type not in (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE), (
                f"{message.full_name}.{field.name} is a float"
            )


@pytest.mark.parametrize("file", FILES, ids=lambda f: f.name)
def test_enums_start_unspecified_and_prefix_their_values(file: FileDescriptor) -> None:
    enums = list(file.enum_types_by_name.values())
    for message in _messages(file):
        enums.extend(message.enum_types)
    for enum in enums:
        prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", enum.name).upper() + "_"
        assert enum.values_by_number[0].name == f"{prefix}UNSPECIFIED"
        for value in enum.values:
            assert value.name.startswith(prefix), value.name


def test_every_catalogued_event_is_a_generated_message() -> None:
    pool = descriptor_pool.Default()
    for spec in CATALOGUE:
        for event in spec.events:
            assert pool.FindMessageTypeByName(event).full_name == event


@pytest.mark.parametrize("spec", CATALOGUE, ids=lambda s: s.name)
def test_topics_are_named_for_their_producer(spec) -> None:  # type: ignore[no-untyped-def]
    match = TOPIC_NAME.match(spec.name)
    assert match is not None
    assert match.group(1) == spec.producer
    # Systems outside doudi write inbound topics in the schema of the one service that reads them.
    schema_owner = spec.consumers[0] if spec.producer == EXTERNAL_PRODUCER else spec.producer
    assert all(event.startswith(f"doudi.{schema_owner}.v1.") for event in spec.events)
    assert spec.producer not in spec.consumers


def test_inbound_topics_have_exactly_one_reader() -> None:
    inbound = [spec for spec in CATALOGUE if spec.producer == EXTERNAL_PRODUCER]
    assert inbound, "the monitoring events of other systems arrive on an inbound topic"
    assert all(len(spec.consumers) == 1 for spec in inbound)


def test_every_topic_has_a_dead_letter_twin() -> None:
    names = all_topic_names()
    assert len(names) == 2 * len(CATALOGUE) == len(set(names))
    for spec in CATALOGUE:
        assert dlq_topic(spec.name) in names
    assert all_topic_names(include_dlq=False) == [spec.name for spec in CATALOGUE]


def test_unknown_topics_are_refused() -> None:
    with pytest.raises(KeyError):
        topic("doudi.nowhere.thing.v1")
