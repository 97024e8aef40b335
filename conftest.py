"""Fixtures every test suite of the repository can use."""

from hypothesis import settings

pytest_plugins = ["doudi_runtime.testing.broker", "doudi_runtime.testing.databases"]

# The machines that run the suite are shared: a property must not fail because one example waited for a CPU.
settings.register_profile("doudi", deadline=None)
settings.load_profile("doudi")
