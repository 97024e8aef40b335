"""Care providers' payee accounts (DOMAIN §9.3, §11.1): the county bureau registers or corrects the
account a provider's monthly fees are paid into; fees already settled wait for the county's next run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from doudi_common.errors import FailedPrecondition, InvalidArgument, NotFound
from doudi_common.masking import mask_bank_account
from doudi_disbursement.domain.provider_fees import (
    ProviderAccount,
    ProviderFee,
    check_account_number,
    check_county,
)
from doudi_disbursement.store import providers as store
from doudi_runtime.commands import AfterCommit, Commands, request_id_check, require_id, validate_together
from doudi_runtime.idempotency import fingerprint_of


@dataclass(frozen=True)
class Registered:
    account: Any
    #: The account it replaced, masked ("" at the first registration).
    previous_masked: str


def _name(value: str) -> None:
    if not value.strip():
        raise InvalidArgument.single("account_name", "is required")
    if len(value.strip()) > 100:
        raise InvalidArgument.single("account_name", "must be at most 100 characters")


class ProviderAccounts(Commands):
    def register(
        self,
        request_id: str,
        provider_id: str,
        region: str,
        account_name: str,
        account_number: str,
        registered_by: str,
    ) -> Registered:
        validate_together(
            request_id_check(request_id),
            require_id(provider_id, "provider_id"),
            lambda: check_county(region),
            lambda: _name(account_name),
            lambda: check_account_number(account_number),
        )
        account = ProviderAccount(
            provider_id, region, account_name.strip(), check_account_number(account_number)
        )

        def perform(session: Session, now: datetime, _after: AfterCommit) -> tuple[str, Registered]:
            before = store.get_account_row(session, provider_id, for_update=True)
            if before is not None and before.county != region:
                # One county pays a provider: care settles a provider's month once, not per county.
                raise FailedPrecondition(
                    f"{provider_id}'s fees are paid by another county; that county changes its account"
                )
            store.save_account(session, account, registered_by, now)
            previous = "" if before is None else mask_bank_account(str(before.account_number))
            return f"{provider_id}|{previous}", Registered(
                store.get_account_row(session, provider_id), previous
            )

        def replay(session: Session, reference: str) -> Registered:
            provider, _, previous = reference.partition("|")
            return Registered(store.get_account_row(session, provider), previous)

        return self.once(
            "RegisterProviderAccount",
            request_id,
            fingerprint_of(provider_id, region, account.account_name, account.account_number),
            perform,
            replay,
        )

    def get(self, provider_id: str) -> tuple[Any, list[tuple[ProviderFee, str]]]:
        validate_together(require_id(provider_id, "provider_id"))
        with self.persistence.database.read() as session:
            row = store.get_account_row(session, provider_id)
            if row is None:
                raise NotFound("provider_account not found")
            return row, store.fees_of(session, provider_id)
