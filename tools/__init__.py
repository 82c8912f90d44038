"""Development tooling: what tests, benchmarks and `make` targets use, and no DAG task imports.

Kept out of `include/tickerpulse` so that what the DAGs import is what ships (the Docker image
copies `include/` only); tests/test_layering.py checks that the runtime never imports this.

Run from the project root (`python -m tools.lockcheck`); tests and benchmarks put the root on
`sys.path`. This file must stay: a dependency (cron-descriptor) installs a `tools` namespace
directory into site-packages, and only a regular package here reliably wins over it.
"""
