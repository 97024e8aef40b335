"""Run the gateway: python -m doudi_gateway <role>."""

from doudi_gateway.main import main

main()
