"""An application submitted with ID numbers is audited with their masked form only; the chain verifies."""

from __future__ import annotations

import json

from doudi_common.masking import mask_id_number

from .conftest import AUTH, submission


def test_the_audit_trail_of_a_new_application_holds_no_full_id_number(intake) -> None:  # type: ignore[no-untyped-def]
    stub, context = intake
    request = submission("audit-mask-1")
    ids = [member.person.id_number.value for member in request.household.members]
    application = stub.SubmitApplication(request, metadata=AUTH, timeout=10).application
    log = context.audit_log()
    (record,) = log.page(0, 10)
    assert record.method.endswith("/SubmitApplication")
    after = json.loads(record.after_json)
    assert after["application"]["application_id"] == application.application_id
    text = json.dumps([vars(r) for r in log.page(0, 10)], ensure_ascii=False)
    for number in ids:
        assert number not in text
        assert mask_id_number(number) in record.after_json
    assert log.verify().intact
