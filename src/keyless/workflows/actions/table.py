"""Table `{format: CSV|HTML, from, columns?}`: a CSV or HTML table from an array (reference §3.3).

Without `columns` the headers are the property names of the items, in order of first appearance, and each cell
is the item's property; with `columns [{header, value}]` each `value` is evaluated per item (`item()`). Cells
are written as interpolation writes values (null as empty). When every header is empty no header row is written
(the docs' example output `Apples,1` / `Oranges,2` for empty headers). CSV quotes a field holding a comma, quote
or line break (quotes doubled) and ends lines with CRLF; HTML escapes `& < > " '` as .NET's HtmlEncode.
Outputs `{"body": "<table>"}`, inputs the evaluated `{format, from, columns?}`, code NotSpecified like the other
array operations — line ending, header rule and code are not confirmed against a real run.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from keyless.wdl.text import to_text
from keyless.workflows.actions._collections import NotAnArray, evaluate_for, from_array
from keyless.workflows.actions._results import NOT_SPECIFIED, inputs_of, required, succeeded
from keyless.workflows.actions.base import ActionSpec, Compiled, Outcome

TYPE = "Table"
FORMATS = {"csv": "CSV", "html": "HTML"}


@dataclass(frozen=True)
class Column:
    header: Compiled
    value: Compiled


@dataclass(frozen=True)
class Config:
    format: str
    source: Compiled
    columns: tuple[Column, ...] | None


def compile(spec: dict[str, Any], ctx: Any) -> Config:
    inputs = inputs_of(spec, ctx)
    written = required(inputs, "format", ctx, TYPE)
    table_format = FORMATS.get(written.lower()) if isinstance(written, str) else None
    if table_format is None:
        raise ctx.error(
            "inputs.format",
            f"The 'format' property of action '{ctx.action_name}' of type '{TYPE}' must be 'CSV' or 'HTML'; "
            f"found '{written}'.",
        )
    source = ctx.value(required(inputs, "from", ctx, TYPE), "inputs.from")
    raw_columns = inputs.get("columns")
    if raw_columns is None:
        return Config(table_format, source, None)
    if not isinstance(raw_columns, list) or not raw_columns:
        raise ctx.error("inputs.columns", "The 'columns' property must be a non-empty array of {header, value}.")
    columns = []
    for index, raw in enumerate(raw_columns):
        path = f"inputs.columns[{index}]"
        if not isinstance(raw, dict) or "value" not in raw:
            raise ctx.error(path, "A table column must be an object with 'header' and 'value'.")
        columns.append(
            Column(ctx.value(raw.get("header", ""), f"{path}.header"), ctx.value(raw["value"], f"{path}.value"))
        )
    return Config(table_format, source, tuple(columns))


async def run(config: Config, ctx: Any) -> Outcome:
    try:
        items = from_array(ctx, config.source, "table")
    except NotAnArray as error:
        error.outcome.inputs = {"format": config.format, "from": error.outcome.inputs}
        return error.outcome
    inputs: dict[str, Any] = {"format": config.format, "from": items}
    if config.columns is None:
        headers = _property_names(items)
        rows = [[to_text(item.get(name)) if isinstance(item, dict) else "" for name in headers] for item in items]
    else:
        headers = [to_text(ctx.evaluate(column.header)) for column in config.columns]
        rows = [[to_text(evaluate_for(ctx, column.value, item)) for column in config.columns] for item in items]
        # A column's value is per item, so the record keeps the evaluated headers only.
        inputs["columns"] = [{"header": header} for header in headers]
    if not any(headers):
        headers = []
    body = _csv(headers, rows) if config.format == "CSV" else _html(headers, rows)
    return succeeded(NOT_SPECIFIED, inputs, {"body": body})


def _property_names(items: list[Any]) -> list[str]:
    names: dict[str, None] = {}
    for item in items:
        if isinstance(item, dict):
            names.update(dict.fromkeys(item))
    return list(names)


def _csv_field(text: str) -> str:
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv(headers: list[str], rows: list[list[str]]) -> str:
    lines = [headers] if headers else []
    lines.extend(rows)
    return "".join(",".join(_csv_field(cell) for cell in line) + "\r\n" for line in lines)


def _html(headers: list[str], rows: list[list[str]]) -> str:
    def cells(tag: str, values: list[str]) -> str:
        return "".join(
            f"<{tag}>{html.escape(value, quote=True).replace('&#x27;', '&#39;')}</{tag}>" for value in values
        )

    head = f"<thead><tr>{cells('th', headers)}</tr></thead>" if headers else ""
    body = "".join(f"<tr>{cells('td', row)}</tr>" for row in rows)
    return f"<table>{head}<tbody>{body}</tbody></table>"


SPEC = ActionSpec(TYPE, compile, run)
