"""Run the eligibility service: python -m doudi_eligibility <role>."""

from doudi_eligibility.main import main

main()
