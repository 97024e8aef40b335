"""The one parameter registry (DOMAIN §3): catalogue, national floors, versioned sets, resolution."""

from doudi_common.parameters.catalogue import CATALOGUE, Definition, Kind
from doudi_common.parameters.constraints import Violation, ViolationCode
from doudi_common.parameters.registry import (
    ParameterSetRejected,
    Registry,
    SourcedSet,
    check_complete,
    check_set,
    check_value,
    read_set,
    shipped_registry,
    shipped_sets,
)
from doudi_common.parameters.resolved import Parameters, ParameterUse
from doudi_common.parameters.sets import ParameterError, ParameterSet, Value, parse_set

__all__ = [
    "CATALOGUE",
    "Definition",
    "Kind",
    "ParameterError",
    "ParameterSet",
    "ParameterSetRejected",
    "ParameterUse",
    "Parameters",
    "Registry",
    "SourcedSet",
    "Value",
    "Violation",
    "ViolationCode",
    "check_complete",
    "check_set",
    "check_value",
    "parse_set",
    "read_set",
    "shipped_registry",
    "shipped_sets",
]
