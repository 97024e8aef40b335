"""Fixtures every test suite of the repository can use."""

pytest_plugins = ["doudi_runtime.testing.broker", "doudi_runtime.testing.databases"]
