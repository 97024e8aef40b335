"""Run the intake service: python -m doudi_intake <role>."""

from doudi_intake.main import main

main()
