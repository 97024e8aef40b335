"""The audit trail keeps records with their personal numbers masked, and its chain still verifies."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import MetaData, insert

from doudi_common.testing import make_resident_id
from doudi_runtime.audit.masking import mask_personal_data, masker_for
from doudi_runtime.audit.trail import GENESIS_HASH, AuditEntry, AuditLog, add_audit_tables
from doudi_runtime.store import Database

ID = make_resident_id(date(1980, 5, 17), 12)
PHONE = "13909541234"
CARD = "6222021234567890128"


def entry(before: dict[str, Any] | None, after: dict[str, Any] | None, reason: str = "") -> AuditEntry:
    return AuditEntry(
        actor="clerk.a",
        actor_role="township_office",
        actor_org="A乡",
        via="gateway",
        peer="ipv4:127.0.0.1:5000",
        request_id="r-1",
        method="/doudi.intake.v1.IntakeService/SubmitApplication",
        subject_kind="",
        subject_id="",
        reason=reason,
        before=before,
        after=after,
    )


def test_numbers_are_masked_by_field_name_at_any_depth_and_the_rest_is_kept() -> None:
    response = {
        "application": {
            "application_id": "app_1",
            "state": "APPLICATION_STATE_SUBMITTED",
            "household": {
                "members": [
                    {"person": {"id_number": {"value": ID}, "name": "马建国", "phone": PHONE}},
                ]
            },
            "payee": {"account_number": "6222 0212 3456 7890 128", "account_name": "马建国"},
            "duty_phones": [PHONE],
            "member_id_numbers": [ID],
            "masked_id_number": "640402********1234",
            "statement": f"身份证{ID}，电话{PHONE}",
        }
    }
    masked = mask_personal_data(response)
    assert masked is not None
    application = masked["application"]
    person = application["household"]["members"][0]["person"]
    assert person == {
        "id_number": {"value": ID[:6] + "********" + ID[-4:]},
        "name": "马建国",
        "phone": "139****1234",
    }
    assert application["payee"] == {"account_number": "*" * 15 + "0128", "account_name": "马建国"}
    assert application["duty_phones"] == ["139****1234"]
    assert application["member_id_numbers"] == [ID[:6] + "********" + ID[-4:]]
    assert application["masked_id_number"] == "640402********1234"
    assert ID not in application["statement"] and PHONE not in application["statement"]
    assert (application["application_id"], application["state"]) == ("app_1", "APPLICATION_STATE_SUBMITTED")
    assert response["application"]["member_id_numbers"] == [ID]  # the caller's record is left as it was


def test_only_personal_number_fields_are_masked_by_name() -> None:
    assert masker_for("contact_phone") is not None and masker_for("payee_account") is not None
    assert masker_for("id_number") is not None and masker_for("account") is not None
    for name in ("account_name", "masked_account", "id_number_hash", "application_id", "region", "name"):
        assert masker_for(name) is None, name


ids = st.builds(
    make_resident_id,
    st.dates(min_value=date(1920, 1, 1), max_value=date(2025, 12, 31)),
    st.integers(0, 99),
    female=st.booleans(),
)
keys = st.sampled_from(["id_number", "note", "value", "body", "members", "contact_phone", "x"])
records = st.recursive(
    ids | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=12,
)


@given(st.dictionaries(keys, records, max_size=4), ids)
def test_no_full_id_number_survives_masking_wherever_it_was(record: dict[str, Any], extra: str) -> None:
    record = {**record, "note": f"申请人{extra}"}
    text = json.dumps(mask_personal_data(record), ensure_ascii=False)
    assert extra not in text
    for value in _strings(record):
        if len(value) == 18:
            assert value not in text


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def test_the_trail_keeps_only_the_masked_form_and_its_chain_verifies(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'audit.db'}")
    metadata = MetaData()
    tables = add_audit_tables(metadata)
    metadata.create_all(database.engine)
    with database.transaction() as session:
        session.execute(insert(tables.head).values(id=1, sequence=0, hash=GENESIS_HASH))
    log = AuditLog(database, tables)
    created = {"person": {"id_number": {"value": ID}, "phone": PHONE}, "account": CARD}
    log.append(entry(None, created, reason=f"核对身份证 {ID}"))
    log.append(entry(created, {**created, "phone": "13800001111"}))
    try:
        stored = log.page(0, 10)
        text = json.dumps([vars(record) for record in stored], ensure_ascii=False)
        assert ID not in text and PHONE not in text and CARD not in text
        assert ID[:6] + "********" + ID[-4:] in stored[0].after_json
        assert "*" * 15 + CARD[-4:] in stored[0].after_json
        assert log.verify().intact and log.verify().records_checked == 2
    finally:
        database.dispose()
