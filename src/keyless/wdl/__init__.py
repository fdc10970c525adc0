"""The Workflow Definition Language's expression language (Logic Apps): parsed once, evaluated per run.

Public surface (wdl/api.py): `compile_template(text)` and `compile_value(json, path)` return compiled objects
whose `evaluate(ctx)` takes an `EvalContext` (wdl/context.py). Values are plain JSON in Python (see values.py).
"""
