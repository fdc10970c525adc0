"""The Logic Apps-compatible workflow runtime: definitions, the runAfter interpreter, actions, runs.

docs/decisions/0004-workflow-runtime.md draws the boundaries: `definition` compiles a WDL definition once;
`engine` interprets a run against a `Journal` (history and checkpoints) and a `RunHost` (the outside world);
`durable` drives runs on DBOS Transact; `management` is the ARM face; `triggers` the ways runs start.
"""
