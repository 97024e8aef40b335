"""GetBeneficiaryStatus: a checked ID number in, whether the person is a current beneficiary out.

The answer names programmes only: no amount, entitlement id, household, region or name, so the narrow
``beneficiary.check`` scope of an outside system learns nothing else about the person.
"""

from __future__ import annotations

from doudi.eligibility.v1 import eligibility_pb2
from doudi_common.idcard import parse_id_number
from doudi_eligibility.app.status import BeneficiaryStatus
from doudi_eligibility.events import mapping


def beneficiary_status(
    query: BeneficiaryStatus, request: eligibility_pb2.GetBeneficiaryStatusRequest
) -> eligibility_pb2.GetBeneficiaryStatusResponse:
    person = parse_id_number(request.id_number.value, field="id_number")
    programmes = query.programmes_of(person.value)
    return eligibility_pb2.GetBeneficiaryStatusResponse(
        current_beneficiary=bool(programmes),
        programmes=[mapping.programme_pb(programme.value) for programme in programmes],
    )
