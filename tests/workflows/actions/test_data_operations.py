"""Query, Select, Join and Table: `item()` per element, record shapes, CSV/HTML text, refusals."""

from __future__ import annotations

import pytest

from keyless.workflows.actions import join, query, select, table
from keyless.workflows.errors import DefinitionError

from ._fakes import FakeRunContext, compile_action, run_action

ITEM = {"@item()": lambda c: c.item(None)}


def run(spec, inputs: dict, expressions: dict | None = None, ctx: FakeRunContext | None = None):
    config = compile_action(spec, {"type": spec.type_name, "inputs": inputs}, expressions, action_name="Op")
    return run_action(spec, config, ctx)


# Query


def test_query_keeps_matching_items() -> None:
    numbers = [1, 2, 3, 4, 2, 13, 23, 312, 321, 321, 21]
    outcome = run(
        query.SPEC, {"from": numbers, "where": "@greater(item(),2)"}, {"@greater(item(),2)": lambda c: c.item(None) > 2}
    )
    assert (outcome.status, outcome.code) == ("Succeeded", "NotSpecified")
    assert outcome.inputs == numbers
    assert outcome.outputs == {"body": [3, 4, 13, 23, 312, 321, 321, 21]}


def test_query_with_no_match_gives_empty_body() -> None:
    outcome = run(query.SPEC, {"from": [{"a": 1}], "where": "@false"}, {"@false": lambda c: False})
    assert outcome.outputs == {"body": []}


def test_query_from_not_an_array_fails() -> None:
    outcome = run(query.SPEC, {"from": {"a": 1}, "where": "@true"}, {"@true": lambda c: True})
    assert (outcome.status, outcome.code) == ("Failed", "BadRequest")
    assert outcome.error["message"] == (
        "The 'from' property value in the 'query' action inputs is of type 'Object'. The value must be an array."
    )
    assert outcome.inputs == {"a": 1}


def test_query_where_not_boolean_fails() -> None:
    outcome = run(query.SPEC, {"from": [1], "where": "@item()"}, ITEM)
    assert outcome.status == "Failed"
    assert "must evaluate to a boolean" in outcome.error["message"]
    assert "'Integer'" in outcome.error["message"]


@pytest.mark.parametrize("missing", ["from", "where"])
def test_query_requires_from_and_where(missing: str) -> None:
    inputs = {"from": [], "where": "@true"}
    del inputs[missing]
    with pytest.raises(DefinitionError) as err:
        compile_action(query.SPEC, {"type": "Query", "inputs": inputs}, {"@true": lambda c: True}, action_name="Q")
    assert err.value.path == f"properties.definition.actions.Q.inputs.{missing}"


# Select


def test_select_maps_with_an_object() -> None:
    expressions = {
        "@item()['name']": lambda c: c.item(None)["name"],
        "@{item()['n']}x": lambda c: f"{c.item(None)['n']}x",
    }
    source = [{"name": "a", "n": 1}, {"name": "b", "n": 2}]
    outcome = run(
        select.SPEC,
        {"from": source, "select": {"Name": "@item()['name']", "label": "@{item()['n']}x", "k": 0}},
        expressions,
    )
    assert (outcome.status, outcome.code) == ("Succeeded", "NotSpecified")
    assert outcome.inputs == {"from": source}
    assert outcome.outputs == {"body": [{"Name": "a", "label": "1x", "k": 0}, {"Name": "b", "label": "2x", "k": 0}]}


def test_select_with_an_expression_and_empty_from() -> None:
    assert run(select.SPEC, {"from": [1, "x"], "select": "@item()"}, ITEM).outputs == {"body": [1, "x"]}
    outcome = run(select.SPEC, {"from": [], "select": {"asdas": ""}})
    assert (outcome.inputs, outcome.outputs) == ({"from": []}, {"body": []})


def test_select_from_not_an_array_fails() -> None:
    outcome = run(select.SPEC, {"from": "abc", "select": "@item()"}, ITEM)
    assert outcome.status == "Failed"
    assert outcome.error["message"].startswith(
        "The 'from' property value in the 'select' action inputs is of type 'String'."
    )
    assert outcome.inputs == {"from": "abc"}


# Join


def test_join_writes_items_as_text() -> None:
    outcome = run(join.SPEC, {"from": ["a", 1, 2.5, True, None, {"k": [1]}], "joinWith": ","})
    assert (outcome.status, outcome.code) == ("Succeeded", "NotSpecified")
    assert outcome.outputs == {"body": 'a,1,2.5,True,,{"k":[1]}'}
    assert outcome.inputs == {"from": ["a", 1, 2.5, True, None, {"k": [1]}], "joinWith": ","}


def test_join_empty_and_multichar_separator() -> None:
    assert run(join.SPEC, {"from": [], "joinWith": ":"}).outputs == {"body": ""}
    assert run(join.SPEC, {"from": [1, 2, 3], "joinWith": " | "}).outputs == {"body": "1 | 2 | 3"}


def test_join_from_not_an_array_fails() -> None:
    outcome = run(join.SPEC, {"from": 5, "joinWith": ","})
    assert outcome.status == "Failed"
    assert "'join' action inputs is of type 'Integer'" in outcome.error["message"]


def test_join_with_must_be_a_string() -> None:
    with pytest.raises(DefinitionError) as err:
        compile_action(join.SPEC, {"type": "Join", "inputs": {"from": [], "joinWith": 1}}, action_name="J")
    assert err.value.path == "properties.definition.actions.J.inputs.joinWith"


# Table

ROWS = [{"ID": 0, "Product_Name": "Apples"}, {"ID": 1, "Product_Name": "Oranges"}]


def test_csv_table_with_automatic_columns() -> None:
    outcome = run(table.SPEC, {"format": "CSV", "from": ROWS})
    assert (outcome.status, outcome.code) == ("Succeeded", "NotSpecified")
    assert outcome.outputs == {"body": "ID,Product_Name\r\n0,Apples\r\n1,Oranges\r\n"}
    assert outcome.inputs == {"format": "CSV", "from": ROWS}


def test_csv_quotes_fields_that_need_it() -> None:
    items = [{"a": 'say "hi"', "b": "x,y", "c": "line\nbreak"}, {"a": None, "d": True}]
    outcome = run(table.SPEC, {"format": "csv", "from": items})
    assert outcome.outputs["body"] == 'a,b,c,d\r\n"say ""hi""","x,y","line\nbreak",\r\n,,,True\r\n'


def test_csv_with_custom_columns_and_empty_headers() -> None:
    expressions = {
        "@item()?['Product_Name']": lambda c: c.item(None).get("Product_Name"),
        "@item()?['ID']": lambda c: c.item(None).get("ID"),
    }
    columns = [{"header": "", "value": "@item()?['Product_Name']"}, {"header": "", "value": "@item()?['ID']"}]
    outcome = run(table.SPEC, {"format": "CSV", "from": ROWS, "columns": columns}, expressions)
    assert outcome.outputs == {"body": "Apples,0\r\nOranges,1\r\n"}
    columns[0]["header"] = "Fruit"
    outcome = run(table.SPEC, {"format": "CSV", "from": ROWS, "columns": columns}, expressions)
    assert outcome.outputs == {"body": "Fruit,\r\nApples,0\r\nOranges,1\r\n"}


def test_html_table_escapes_text() -> None:
    items = [{"name": "<b>Tom & 'Jerry'</b>", "q": '"x"'}]
    outcome = run(table.SPEC, {"format": "HTML", "from": items})
    assert outcome.outputs == {
        "body": "<table><thead><tr><th>name</th><th>q</th></tr></thead><tbody><tr>"
        "<td>&lt;b&gt;Tom &amp; &#39;Jerry&#39;&lt;/b&gt;</td><td>&quot;x&quot;</td></tr></tbody></table>"
    }


def test_html_table_of_no_rows() -> None:
    assert run(table.SPEC, {"format": "HTML", "from": []}).outputs == {"body": "<table><tbody></tbody></table>"}


def test_table_invalid_format_refused() -> None:
    with pytest.raises(DefinitionError) as err:
        compile_action(table.SPEC, {"type": "Table", "inputs": {"format": "XML", "from": []}}, action_name="T")
    assert err.value.path == "properties.definition.actions.T.inputs.format"
    assert "'CSV' or 'HTML'" in err.value.detail


def test_table_from_not_an_array_fails() -> None:
    outcome = run(table.SPEC, {"format": "CSV", "from": None})
    assert outcome.status == "Failed"
    assert "'table' action inputs is of type 'Null'" in outcome.error["message"]
