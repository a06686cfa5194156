"""The portal under load, as production runs it (负载与故障测试的公共部件).

- server.py: the production server (`reflex run --env prod`, granian workers, Redis, PostgreSQL)
  started from a work copy, a private redis-server, a fresh PostgreSQL schema;
- portal_client.py: one browser tab over Reflex's real socket.io websocket;
- scenario.py: the township caseworkers' loop, their accounts and data, the reconciliation;
- runner.py / stats.py: one whole run and its figures (benchmarks/load_test.py reports it,
  tests/load/test_load_smoke.py checks a short one in CI).
"""
