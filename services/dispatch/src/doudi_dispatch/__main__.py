"""Run the dispatch service: python -m doudi_dispatch <role>."""

from doudi_dispatch.main import main

main()
