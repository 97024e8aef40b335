"""Run the care service: python -m doudi_care <role>."""

from doudi_care.main import main

main()
