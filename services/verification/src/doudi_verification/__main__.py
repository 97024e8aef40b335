"""Run the verification service: python -m doudi_verification <role>."""

from doudi_verification.main import main

main()
