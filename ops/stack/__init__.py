"""The local stack: PostgreSQL, MySQL/MariaDB, Redis, the API, Prometheus and Grafana under
process-compose. Standard library only: it runs under the shell's python3 (3.11 or newer).

services.py defines each service once; driver.py starts and stops them (`python3 -m ops.stack`).
"""
