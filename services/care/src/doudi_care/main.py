"""Composition root of the care service: its settings and its wiring."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from fractions import Fraction

from pydantic import Field, field_validator

from doudi.care.v1 import care_pb2_grpc
from doudi_care.api import policy
from doudi_care.api.grpc import CareApi
from doudi_care.app import CareApp, build_app
from doudi_care.domain.ledger import Ledger, LedgerRules, RiskLevel
from doudi_care.domain.protection import ProtectionDeadlines
from doudi_care.domain.schedule import Interval, VisitPolicy
from doudi_care.domain.workorders import ContractTerms
from doudi_care.events.consumers import subscriptions
from doudi_care.store.tables import STORE
from doudi_runtime.commands import Clock, utc_now
from doudi_runtime.events.consumer import Subscription
from doudi_runtime.grpc.server import GrpcServiceBinding
from doudi_runtime.service import ServiceContext, ServiceDefinition, Worker, entrypoint, periodic
from doudi_runtime.settings import ServiceSettings

#: The name under which one CareApp per process is shared by the API, the consumers and the sweeps.
SHARED_APP = "care-app"

_INTERVAL_FIELDS = (
    "visit_elderly_general",
    "visit_elderly_key",
    "visit_elderly_high",
    "visit_children_general",
    "visit_children_key",
    "visit_children_high",
    "visit_orphan_unsupported",
    "visit_disabled_general",
    "visit_disabled_key",
    "visit_disabled_high",
    "visit_tekun_general",
    "visit_tekun_key",
    "visit_tekun_high",
)


class CareSettings(ServiceSettings):
    service_name: str = "care"
    grpc_port: int = 15055
    metrics_port: int = 9105
    #: Visit frequencies (DOMAIN §3 ``visit.*``, §9.2), written 3m / 1m / 2w / 7d. Left-behind elderly at
    #: least quarterly [SEED-3], tiered high weekly / key monthly / general quarterly [L, S66].
    visit_elderly_general: str = "3m"
    visit_elderly_key: str = "1m"
    visit_elderly_high: str = "7d"
    #: Children: EX monthly for high risk, quarterly otherwise [D]; orphans and FUC monthly (H08, [L, S59]).
    visit_children_general: str = "3m"
    visit_children_key: str = "3m"
    visit_children_high: str = "1m"
    visit_orphan_unsupported: str = "1m"
    #: Disabled people: DOMAIN names no frequency; the elderly tiers are used [D].
    visit_disabled_general: str = "3m"
    visit_disabled_key: str = "1m"
    visit_disabled_high: str = "7d"
    #: Dispersed Tekun: at least monthly by the visit person [L, S23].
    visit_tekun_general: str = "1m"
    visit_tekun_key: str = "1m"
    visit_tekun_high: str = "7d"
    #: A visit not done by due + grace is overdue and goes to the township (EX 7 days), and to the county
    #: this many days later.
    visit_grace_days: int = Field(default=7, ge=0, le=90)
    visit_county_after_days: int = Field(default=7, ge=1, le=90)
    #: Ledger entry conditions (DOMAIN §9.1).
    elderly_min_age: int = Field(default=60, ge=50, le=80)
    #: Care work orders (DOMAIN §9.3): services a month (EX 2) and whether rural class-1 Dibao gets them.
    care_services_per_month: int = Field(default=2, ge=0, le=31)
    care_class1_dibao_enabled: bool = False
    #: The provider contract (H14's EX contract): unit price, and the deductions of the assessment rules.
    care_unit_price_fen: int = Field(default=12_000, ge=0)
    care_low_score_threshold: str = "3"
    care_low_score_deduction: str = "1/5"
    care_missed_deduction_fen: int = Field(default=0, ge=0)
    care_failed_audit_deduction_fen: int = Field(default=0, ge=0)
    #: Children's protection deadlines from the report (parameters; DOMAIN gives no figure, see the domain).
    protection_dispatch_hours: float = Field(default=2.0, gt=0)
    protection_assessment_hours: float = Field(default=72.0, gt=0)
    protection_intervention_hours: float = Field(default=360.0, gt=0)
    #: Bulk imports: rows per request.
    import_max_rows: int = Field(default=1000, ge=1, le=10_000)
    #: How often the sweeps run: visits and work orders (state changes at most daily), protection deadlines.
    visit_sweep_seconds: float = Field(default=3600.0, gt=0)
    work_order_sweep_seconds: float = Field(default=3600.0, gt=0)
    protection_sweep_seconds: float = Field(default=60.0, gt=0)
    sweep_batch_size: int = Field(default=200, ge=1, le=5000)

    @field_validator(*_INTERVAL_FIELDS)
    @classmethod
    def _interval(cls, value: str) -> str:
        Interval.parse(value)
        return value

    @field_validator("care_low_score_threshold", "care_low_score_deduction")
    @classmethod
    def _fraction(cls, value: str) -> str:
        Fraction(value)
        return value

    def visit_policy(self) -> VisitPolicy:
        groups = {
            Ledger.ELDERLY_LEFT_BEHIND: "elderly",
            Ledger.CHILD_LEFT_BEHIND: "children",
            Ledger.CHILD_IN_DIFFICULTY: "children",
            Ledger.DISABLED: "disabled",
            Ledger.TEKUN_DISPERSED: "tekun",
        }
        intervals = {
            (ledger, risk): Interval.parse(getattr(self, f"visit_{group}_{risk.value.lower()}"))
            for ledger, group in groups.items()
            for risk in RiskLevel
        }
        return VisitPolicy(
            intervals=intervals,
            orphan_unsupported=Interval.parse(self.visit_orphan_unsupported),
            grace_days=self.visit_grace_days,
            county_after_days=self.visit_county_after_days,
        )

    def contract_terms(self) -> ContractTerms:
        return ContractTerms(
            unit_price_fen=self.care_unit_price_fen,
            low_score_threshold=Fraction(self.care_low_score_threshold),
            low_score_share=Fraction(self.care_low_score_deduction),
            missed_deduction_fen=self.care_missed_deduction_fen,
            failed_audit_deduction_fen=self.care_failed_audit_deduction_fen,
        )

    def protection_deadlines(self) -> ProtectionDeadlines:
        return ProtectionDeadlines(
            dispatch=timedelta(hours=self.protection_dispatch_hours),
            assessment=timedelta(hours=self.protection_assessment_hours),
            intervention=timedelta(hours=self.protection_intervention_hours),
        )


def build(context: ServiceContext[CareSettings], clock: Clock = utc_now) -> CareApp:
    settings = context.settings
    return build_app(
        context,
        policy=settings.visit_policy(),
        rules=LedgerRules(
            elderly_min_age=settings.elderly_min_age, class1_dibao_care=settings.care_class1_dibao_enabled
        ),
        terms=settings.contract_terms(),
        deadlines=settings.protection_deadlines(),
        services_per_month=settings.care_services_per_month,
        max_import_rows=settings.import_max_rows,
        batch_size=settings.sweep_batch_size,
        clock=clock,
    )


def care_app(context: ServiceContext[CareSettings]) -> CareApp:
    """One CareApp per process (tests put one with their own clock here first)."""
    return context.shared(SHARED_APP, lambda: build(context))


def _bindings(context: ServiceContext[CareSettings]) -> Sequence[GrpcServiceBinding]:
    return [
        GrpcServiceBinding(
            policy.SERVICE_NAME,
            CareApi(care_app(context)),
            care_pb2_grpc.add_CareServiceServicer_to_server,
            policy=policy.policy(context),
        ),
        policy.audit(context),
    ]


def _subscriptions(context: ServiceContext[CareSettings]) -> Sequence[Subscription]:
    app = care_app(context)
    return subscriptions(app.ledger, app.ledger.clock)


def _workers(context: ServiceContext[CareSettings]) -> Sequence[Worker]:
    app = care_app(context)
    settings = context.settings
    return [
        periodic("care-visits", settings.visit_sweep_seconds, app.ledger.sweep_visits),
        periodic("care-work-orders", settings.work_order_sweep_seconds, app.work_orders.run_monthly),
        periodic("care-protection", settings.protection_sweep_seconds, app.protection.sweep),
    ]


DEFINITION = ServiceDefinition(
    name="care",
    settings_type=CareSettings,
    store=STORE,
    grpc_bindings=_bindings,
    subscriptions=_subscriptions,
    background_workers=_workers,
)


def main() -> None:
    entrypoint(DEFINITION)
