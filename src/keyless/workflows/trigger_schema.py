"""Trigger definitions keyless runs: Request (kind Http) and Recurrence, checked field by field (reference §2).

Other trigger types (ApiConnection, ServiceProvider, Http polling, webhooks) are refused by name: keyless has no
connector runtime to poll or subscribe with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from keyless.csharp.dotnet.timezones import find_windows_zone
from keyless.workflows.actions.base import Compiled
from keyless.workflows.errors import DefinitionError
from keyless.workflows.paths import child

ValueFn = Callable[[Any, str, str], Compiled]  # (raw, path, field) -> compiled

_COMMON = {
    "type",
    "kind",
    "inputs",
    "conditions",
    "runtimeconfiguration",
    "operationoptions",
    "description",
    "metadata",
}
_REQUEST_FIELDS = frozenset(_COMMON | {"correlation", "splitonconfiguration", "spliton"})
_RECURRENCE_FIELDS = frozenset(_COMMON | {"recurrence", "correlation"})
_REQUEST_INPUTS = {
    "method": "method",
    "relativepath": "relativePath",
    "schema": "schema",
    "headersschema": "headersSchema",
}
_REQUEST_OPTIONS = {
    "enableschemavalidation",
    "suppressworkflowheadersonresponse",
    "includeauthorizationheadersinoutputs",
    "singleinstance",
}
_RECURRENCE_OPTIONS = {"singleinstance"}
_CONCURRENCY = {"runs": (1, 100), "maximumwaitingruns": (1, 200)}
_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
# Interval ranges per frequency (reference §2.2).
_INTERVALS = {
    "second": 9_999_999,
    "minute": 72_000,
    "hour": 12_000,
    "day": 500,
    "week": 71,
    "month": 16,
}
_SCHEDULE_KEYS = {"hours": (0, 23), "minutes": (0, 59), "monthdays": (-31, 31)}
_WEEKDAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}


@dataclass
class CompiledTrigger:
    name: str
    type: str  # canonical: Request | Recurrence
    kind: str | None
    inputs: Compiled | None
    method: str | None = None
    relative_path: str | None = None
    schema: Any = None
    headers_schema: Any = None
    recurrence: dict[str, Any] | None = None
    conditions: list[Compiled] = field(default_factory=list)
    client_tracking_id: Compiled | None = None
    split_on: Compiled | None = None
    split_on_tracking_id: Compiled | None = None  # splitOnConfiguration.correlation.clientTrackingId, per item
    operation_options: tuple[str, ...] = ()
    runtime_configuration: dict[str, Any] = field(default_factory=dict)
    # With EnableSchemaValidation: the body's JSON Schema validator, built (and the schema checked) once here.
    body_validator: Any = None


def compile_trigger(name: str, raw: Any, path: str, value: ValueFn) -> CompiledTrigger:
    if not isinstance(raw, dict):
        raise DefinitionError(path, f"The trigger '{name}' must be an object.")
    type_name = raw.get("type")
    if not isinstance(type_name, str):
        raise DefinitionError(child(path, "type"), f"The trigger '{name}' has no 'type'.")
    folded = type_name.lower()
    if folded not in ("request", "recurrence"):
        raise DefinitionError(child(path, "type"), f"The trigger type '{type_name}' is not supported by keyless.")
    allowed = _REQUEST_FIELDS if folded == "request" else _RECURRENCE_FIELDS
    keys = {key.lower(): key for key in raw}
    for key in raw:
        if key.lower() not in allowed and key != "runTimeConfiguration":
            raise DefinitionError(
                child(path, key),
                f"The trigger '{name}' of type '{type_name}' has the property '{key}', which that type does not allow.",
            )
    trigger = CompiledTrigger(
        name=name, type="Request" if folded == "request" else "Recurrence", kind=None, inputs=None
    )
    options = raw.get(keys.get("operationoptions", ""), "")
    if not isinstance(options, str):
        raise DefinitionError(
            child(path, keys["operationoptions"]), "The 'operationOptions' property must be a string."
        )
    trigger.operation_options = tuple(part.strip() for part in options.split(",") if part.strip())
    allowed_options = _REQUEST_OPTIONS if folded == "request" else _RECURRENCE_OPTIONS
    for option in trigger.operation_options:
        if option.lower() not in allowed_options:
            raise DefinitionError(
                child(path, keys["operationoptions"]),
                f"The operation option '{option}' of trigger '{name}' is not supported by keyless.",
            )
    runtime_key = keys.get("runtimeconfiguration") or ("runTimeConfiguration" if "runTimeConfiguration" in raw else "")
    trigger.runtime_configuration = _runtime_configuration(raw.get(runtime_key, {}), child(path, runtime_key), trigger)
    _conditions(trigger, raw, keys, path, value)
    _correlation(trigger, raw, keys, path, value)
    if folded == "request":
        _request(trigger, raw, keys, path, value)
        _body_validator(trigger, child(child(path, keys.get("inputs", "inputs")), "schema"))
    else:
        _recurrence(trigger, raw, keys, path)
    return trigger


def _body_validator(trigger: CompiledTrigger, here: str) -> None:
    """EnableSchemaValidation checks request bodies against `schema`: a schema that is not valid JSON Schema is
    refused when the definition is saved, not found out per request."""
    if not isinstance(trigger.schema, dict) or "enableschemavalidation" not in (
        o.lower() for o in trigger.operation_options
    ):
        return
    import jsonschema

    # As ParseJson: draft 4 (Logic Apps validates with Newtonsoft.Json.Schema) unless the schema names its draft.
    cls = jsonschema.validators.validator_for(trigger.schema, default=jsonschema.Draft4Validator)
    try:
        cls.check_schema(trigger.schema)
    except jsonschema.SchemaError as exc:
        message = f"The Request trigger's 'schema' is not a valid JSON schema: {exc.message}"
        raise DefinitionError(here, message) from exc
    trigger.body_validator = cls(trigger.schema)


def _runtime_configuration(runtime: Any, here: str, trigger: CompiledTrigger) -> dict[str, Any]:
    """Only `concurrency {runs 1..100, maximumWaitingRuns}` (reference §2.5); `runs` and SingleInstance
    together are refused."""
    if not isinstance(runtime, dict):
        raise DefinitionError(here, "'runtimeConfiguration' must be an object.")
    for key, value in runtime.items():
        at = child(here, key)
        if key.lower() != "concurrency":
            raise DefinitionError(at, f"The trigger runtime configuration '{key}' is not supported by keyless.")
        if not isinstance(value, dict):
            raise DefinitionError(at, "'concurrency' must be an object.")
        for setting, number in value.items():
            low, high = _CONCURRENCY.get(setting.lower(), (None, None))
            if low is None:
                raise DefinitionError(
                    child(at, setting), f"The trigger concurrency setting '{setting}' is not supported."
                )
            if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
                raise DefinitionError(
                    child(at, setting), f"The trigger concurrency '{setting}' must be an integer from {low} to {high}."
                )
            if setting.lower() == "runs" and "singleinstance" in (o.lower() for o in trigger.operation_options):
                raise DefinitionError(
                    child(at, setting),
                    "The trigger cannot have both the 'SingleInstance' operation option and a concurrency 'runs' "
                    "setting.",
                )
    return runtime


def _conditions(trigger: CompiledTrigger, raw: dict[str, Any], keys: dict[str, str], path: str, value: ValueFn) -> None:
    if "conditions" not in keys:
        return
    here = child(path, keys["conditions"])
    conditions = raw[keys["conditions"]]
    if not isinstance(conditions, list):
        raise DefinitionError(here, "The trigger 'conditions' must be an array.")
    for index, condition in enumerate(conditions):
        if not isinstance(condition, dict) or set(condition) != {"expression"}:
            raise DefinitionError(child(here, index), 'A trigger condition must be {"expression": "@..."}.')
        trigger.conditions.append(value(condition["expression"], child(child(here, index), "expression"), "conditions"))


def _correlation(
    trigger: CompiledTrigger, raw: dict[str, Any], keys: dict[str, str], path: str, value: ValueFn
) -> None:
    if "correlation" not in keys:
        return
    here = child(path, keys["correlation"])
    correlation = raw[keys["correlation"]]
    if not isinstance(correlation, dict) or set(correlation) - {"clientTrackingId"}:
        raise DefinitionError(here, "The trigger 'correlation' may only hold 'clientTrackingId'.")
    if "clientTrackingId" in correlation:
        trigger.client_tracking_id = value(
            correlation["clientTrackingId"], child(here, "clientTrackingId"), "correlation"
        )


def _request(trigger: CompiledTrigger, raw: dict[str, Any], keys: dict[str, str], path: str, value: ValueFn) -> None:
    kind = raw.get(keys.get("kind", ""), "Http")
    if not isinstance(kind, str) or kind.lower() != "http":
        raise DefinitionError(
            child(path, keys.get("kind", "kind")), f"The Request trigger kind '{kind}' is not supported by keyless."
        )
    trigger.kind = "Http"
    inputs = raw.get(keys.get("inputs", ""), {})
    here = child(path, keys.get("inputs", "inputs"))
    if not isinstance(inputs, dict):
        raise DefinitionError(here, "The Request trigger's 'inputs' must be an object.")
    for key in inputs:
        if key.lower() not in _REQUEST_INPUTS:
            raise DefinitionError(child(here, key), f"The Request trigger does not take the input '{key}'.")
    by_name = {_REQUEST_INPUTS[key.lower()]: item for key, item in inputs.items()}
    method = by_name.get("method")
    if method is not None and (not isinstance(method, str) or method.upper() not in _METHODS):
        raise DefinitionError(child(here, "method"), f"The Request trigger's method '{method}' is not an HTTP method.")
    trigger.method = method.upper() if isinstance(method, str) else None
    relative = by_name.get("relativePath")
    if relative is not None and not isinstance(relative, str):
        raise DefinitionError(child(here, "relativePath"), "The Request trigger's 'relativePath' must be a string.")
    trigger.relative_path = relative
    for key in ("schema", "headersSchema"):
        if key in by_name and not isinstance(by_name[key], dict):
            raise DefinitionError(child(here, key), f"The Request trigger's '{key}' must be a JSON schema object.")
    trigger.schema = by_name.get("schema")
    trigger.headers_schema = by_name.get("headersSchema")
    # JSON schemas are data, not templates: a description starting with '@' is text, so they stay uncompiled.
    plain = {key: item for key, item in inputs.items() if key.lower() not in ("schema", "headersschema")}
    trigger.inputs = value(plain, here, "inputs")
    if "spliton" in keys:
        at = child(path, keys["spliton"])
        split_on = raw[keys["spliton"]]
        if not isinstance(split_on, str) or not split_on.startswith("@") or split_on.startswith("@@"):
            raise DefinitionError(
                at, f"The 'splitOn' of trigger '{trigger.name}' must be a template language expression ('@...')."
            )
        trigger.split_on = value(split_on, at, "splitOn")
    if "splitonconfiguration" in keys:
        _split_on_configuration(
            trigger, raw[keys["splitonconfiguration"]], child(path, keys["splitonconfiguration"]), value
        )


def _split_on_configuration(trigger: CompiledTrigger, config: Any, here: str, value: ValueFn) -> None:
    """`splitOnConfiguration: {correlation: {clientTrackingId}}`: each split run's client tracking id, evaluated
    against that run's trigger (`{"body": item}`)."""
    if trigger.split_on is None:
        raise DefinitionError(
            here, f"The trigger '{trigger.name}' has a 'splitOnConfiguration' but no 'splitOn' expression."
        )
    correlation = config.get("correlation") if isinstance(config, dict) else None
    if not isinstance(config, dict) or set(config) - {"correlation"}:
        raise DefinitionError(here, "The trigger 'splitOnConfiguration' may only hold 'correlation'.")
    if correlation is None:
        return
    at = child(here, "correlation")
    if not isinstance(correlation, dict) or set(correlation) - {"clientTrackingId"}:
        raise DefinitionError(at, "The 'splitOnConfiguration.correlation' may only hold 'clientTrackingId'.")
    if "clientTrackingId" not in correlation:
        return
    if trigger.client_tracking_id is not None:
        raise DefinitionError(
            child(at, "clientTrackingId"),
            f"The trigger '{trigger.name}' cannot have both 'correlation.clientTrackingId' and "
            "'splitOnConfiguration.correlation.clientTrackingId'.",
        )
    trigger.split_on_tracking_id = value(correlation["clientTrackingId"], child(at, "clientTrackingId"), "correlation")


def _recurrence(trigger: CompiledTrigger, raw: dict[str, Any], keys: dict[str, str], path: str) -> None:
    if "inputs" in keys:
        raise DefinitionError(child(path, keys["inputs"]), "The Recurrence trigger takes no 'inputs'.")
    here = child(path, keys.get("recurrence", "recurrence"))
    recurrence = raw.get(keys.get("recurrence", ""))
    if not isinstance(recurrence, dict):
        raise DefinitionError(here, "The Recurrence trigger needs a 'recurrence' object.")
    allowed = {"frequency", "interval", "starttime", "endtime", "timezone", "schedule"}
    for key in recurrence:
        if key.lower() not in allowed:
            raise DefinitionError(child(here, key), f"The recurrence property '{key}' is not supported.")
    fields = {key.lower(): value for key, value in recurrence.items()}
    frequency = fields.get("frequency")
    if not isinstance(frequency, str) or frequency.lower() not in _INTERVALS:
        raise DefinitionError(
            child(here, "frequency"),
            f"The recurrence frequency '{frequency}' is not one of Second, Minute, Hour, Day, Week, Month.",
        )
    interval = fields.get("interval", 1)
    highest = _INTERVALS[frequency.lower()]
    if isinstance(interval, bool) or not isinstance(interval, int) or not 1 <= interval <= highest:
        raise DefinitionError(
            child(here, "interval"),
            f"The recurrence interval '{interval}' must be an integer from 1 to {highest} for frequency '{frequency}'.",
        )
    for key in ("starttime", "endtime", "timezone"):
        if key in fields and not isinstance(fields[key], str):
            raise DefinitionError(child(here, key), f"The recurrence '{key}' must be a string.")
    if "timezone" in fields and find_windows_zone(fields["timezone"]) is None:
        raise DefinitionError(
            child(here, "timeZone"),
            f"The recurrence time zone '{fields['timezone']}' is not a Windows time zone name (such as 'UTC' or "
            "'W. Europe Standard Time').",
        )
    schedule = fields.get("schedule")
    if schedule is not None:
        _schedule(schedule, child(here, "schedule"))
    trigger.recurrence = recurrence


def _schedule(schedule: Any, here: str) -> None:
    if not isinstance(schedule, dict):
        raise DefinitionError(here, "The recurrence 'schedule' must be an object.")
    for key, values in schedule.items():
        folded = key.lower()
        if not isinstance(values, list):
            raise DefinitionError(child(here, key), f"The schedule '{key}' must be an array.")
        if folded in _SCHEDULE_KEYS:
            low, high = _SCHEDULE_KEYS[folded]
            for index, item in enumerate(values):
                number = int(item) if isinstance(item, str) and item.lstrip("-").isdigit() else item
                if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
                    raise DefinitionError(
                        child(child(here, key), index), f"The schedule {key} value '{item}' is out of range."
                    )
        elif folded == "weekdays":
            for index, item in enumerate(values):
                if not isinstance(item, str) or item.lower() not in _WEEKDAYS:
                    raise DefinitionError(child(child(here, key), index), f"'{item}' is not a day of the week.")
        elif folded != "monthlyoccurrences":
            raise DefinitionError(child(here, key), f"The schedule property '{key}' is not supported.")
