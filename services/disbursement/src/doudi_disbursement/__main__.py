"""Run the disbursement service: python -m doudi_disbursement <role>."""

from doudi_disbursement.main import main

main()
