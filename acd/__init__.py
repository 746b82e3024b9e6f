"""Automatic call distribution: the pure core (no switch, no database, no gevent).

- ``acd.queue_config``: the queues file (``acd/queues.yaml``), loaded and validated.
- ``acd.agent_state``: agent states and the transition table.
- ``acd.router``: ``route(calls, agents, now, config) -> [Decision]`` with the reasons.
- ``acd.core``: ``AcdCore``, inputs in, actions (``acd.actions``) out; snapshot / restore.
- ``acd.estimator``: estimated wait from recent handle times.
"""
