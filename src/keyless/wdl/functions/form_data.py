"""Form-data functions: triggerFormDataValue, triggerFormDataMultiValues, triggerMultipartBody and their
action forms formDataValue, formDataMultiValues, multipartBody.

They read the body envelope a Request trigger or an HTTP action produced for a non-JSON body (reference §2.1):
`$formdata` (`[{"key", "value"}]`) for `application/x-www-form-urlencoded`, `$multipart`
(`[{"headers", "body"}]`) for `multipart/form-data`, where a part's name is in its Content-Disposition.
"""

from __future__ import annotations

import re
from typing import Any

from keyless.wdl.errors import ExpressionError
from keyless.wdl.functions import binary as bin_
from keyless.wdl.functions.registry import function
from keyless.wdl.values import is_integer

_NAME = re.compile(r'(?:^|;)\s*name\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))', re.IGNORECASE)


def _body(record: dict[str, Any]) -> Any:
    outputs = record.get("outputs")
    return outputs.get("body") if isinstance(outputs, dict) else None


def _part_name(part: dict[str, Any]) -> str | None:
    headers = part.get("headers") or {}
    for header, value in headers.items():
        if header.lower() == "content-disposition" and isinstance(value, str):
            found = _NAME.search(value)
            if found:
                return found.group(1) if found.group(1) is not None else found.group(2).strip()
    return None


def _values(name: str, body: Any, key: str) -> list[Any]:
    if isinstance(body, dict) and isinstance(body.get("$formdata"), list):
        return [item.get("value") for item in body["$formdata"] if isinstance(item, dict) and item.get("key") == key]
    if isinstance(body, dict) and isinstance(body.get("$multipart"), list):
        found = []
        for part in body["$multipart"]:
            if isinstance(part, dict) and _part_name(part) == key:
                content = part.get("body")
                found.append(bin_.text_of(content) if not isinstance(content, str) else content)
        return found
    raise ExpressionError(
        f"The template language function '{name}' expects the body to be form data "
        "('application/x-www-form-urlencoded' or 'multipart/form-data')."
    )


def _single(name: str, body: Any, key: Any) -> Any:
    if not isinstance(key, str):
        raise ExpressionError(f"The template language function '{name}' expects the key to be a string.")
    values = _values(name, body, key)
    if len(values) > 1:
        raise ExpressionError(
            f"The template language function '{name}' found {len(values)} values for the key '{key}'; "
            f"use '{name.replace('Value', 'MultiValues')}' instead."
        )
    return values[0] if values else None


def _multi(name: str, body: Any, key: Any) -> list[Any]:
    if not isinstance(key, str):
        raise ExpressionError(f"The template language function '{name}' expects the key to be a string.")
    return _values(name, body, key)


def _part(name: str, body: Any, index: Any) -> Any:
    if not is_integer(index):
        raise ExpressionError(f"The template language function '{name}' expects the index to be an integer.")
    parts = body.get("$multipart") if isinstance(body, dict) else None
    if not isinstance(parts, list):
        raise ExpressionError(f"The template language function '{name}' expects the body to be multipart content.")
    if not 0 <= index < len(parts):
        raise ExpressionError(
            f"The template language function '{name}' was given the index {index}, but the body has {len(parts)} parts."
        )
    part = parts[index]
    return part.get("body") if isinstance(part, dict) else None


def _action_name(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ExpressionError(f"The template language function '{name}' expects the action name to be a string.")
    return value


@function("triggerFormDataValue", 1, 1)
def trigger_form_data_value(ctx: Any, args: list[Any]) -> Any:
    return _single("triggerFormDataValue", _body(ctx.trigger()), args[0])


@function("triggerFormDataMultiValues", 1, 1)
def trigger_form_data_multi_values(ctx: Any, args: list[Any]) -> list[Any]:
    return _multi("triggerFormDataMultiValues", _body(ctx.trigger()), args[0])


@function("triggerMultipartBody", 1, 1)
def trigger_multipart_body(ctx: Any, args: list[Any]) -> Any:
    return _part("triggerMultipartBody", _body(ctx.trigger()), args[0])


@function("formDataValue", 2, 2)
def form_data_value(ctx: Any, args: list[Any]) -> Any:
    body = _body(ctx.action(_action_name("formDataValue", args[0])))
    return _single("formDataValue", body, args[1])


@function("formDataMultiValues", 2, 2)
def form_data_multi_values(ctx: Any, args: list[Any]) -> list[Any]:
    body = _body(ctx.action(_action_name("formDataMultiValues", args[0])))
    return _multi("formDataMultiValues", body, args[1])


@function("multipartBody", 2, 2)
def multipart_body(ctx: Any, args: list[Any]) -> Any:
    body = _body(ctx.action(_action_name("multipartBody", args[0])))
    return _part("multipartBody", body, args[1])
