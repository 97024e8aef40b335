"""Care settings become the visit policy and the provider contract; bad values stop start-up."""

from __future__ import annotations

from fractions import Fraction

import pytest
from pydantic import ValidationError

from doudi_care.domain.ledger import Ledger, RiskLevel
from doudi_care.domain.schedule import Interval
from doudi_care.main import CareSettings


def settings(**values: object) -> CareSettings:
    return CareSettings(auth_mode="off", **values)  # type: ignore[arg-type]


def test_frequencies_come_from_settings() -> None:
    policy = settings(visit_elderly_general="2m", visit_tekun_general="2w").visit_policy()
    assert policy.interval_for(Ledger.ELDERLY_LEFT_BEHIND, RiskLevel.GENERAL) == Interval(months=2)
    assert policy.interval_for(Ledger.TEKUN_DISPERSED, RiskLevel.GENERAL) == Interval(days=14)


def test_the_default_contract_is_h14s() -> None:
    terms = settings().contract_terms()
    assert (terms.unit_price_fen, terms.low_score_threshold, terms.low_score_share) == (
        12_000,
        3,
        Fraction(1, 5),
    )


@pytest.mark.parametrize("values", [{"visit_elderly_general": "3y"}, {"care_low_score_deduction": "a fifth"}])
def test_malformed_parameters_stop_start_up(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        settings(**values)
