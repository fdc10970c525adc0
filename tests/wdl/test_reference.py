from __future__ import annotations

from datetime import UTC, datetime

import pytest

from keyless.wdl.api import ExpressionError
from keyless.wdl.static_context import StaticContext
from tests.wdl.helpers import ev

DATA = {
    "trigger": {"name": "manual", "outputs": {"headers": {"x-id": "1"}, "body": {"order": {"id": 5}}}},
    "actions": {
        "Get_Order": {"name": "Get_Order", "status": "Succeeded", "outputs": {"statusCode": 200, "body": [1, 2]}},
        "Delay": {"name": "Delay", "status": "Succeeded", "outputs": {"statusCode": 202}},
        "Set": {"name": "Set", "status": "Succeeded"},
    },
    "variables": {"Counter": 3},
    "parameters": {"env": "dev"},
    "appsettings": {"Region": "west"},
    "items": {"Outer": {"n": 1}, "Inner": {"n": 2}},
    "iterationIndexes": {"Until_1": 4},
    "results": {"Scope": [{"name": "A", "status": "Failed"}]},
    "callbackUrl": "http://localhost/cb",
    "currentAction": "Set",
}


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("@triggerBody()?.order.id", 5),
        ("@triggerOutputs()['headers']['X-ID']", "1"),
        ("@trigger().name", "manual"),
        ("@body('get_order')", [1, 2]),
        ("@actionBody('Get_Order')[1]", 2),
        ("@outputs('Get_Order').statusCode", 200),
        ("@actionOutputs('Get_Order')['statusCode']", 200),
        ("@actions('Get_Order').status", "Succeeded"),
        ("@action().name", "Set"),
        ("@body('Delay')", None),
        ("@variables('counter')", 3),
        ("@parameters('ENV')", "dev"),
        ("@appsetting('region')", "west"),
        ("@items('outer').n", 1),
        ("@item().n", 2),
        ("@iterationIndexes('Until_1')", 4),
        ("@result('Scope')[0].status", "Failed"),
        ("@listCallbackUrl()", "http://localhost/cb"),
        ("@workflow().type", "Microsoft.Logic/workflows"),
    ],
)
def test_reference_functions(text: str, result: object) -> None:
    assert ev(text, DATA) == result


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("@body('Missing')", "The template action 'Missing' is not defined or not valid."),
        ("@variables('nope')", "variable named 'nope'"),
        ("@parameters('nope')", "parameter 'nope' is not found"),
        ("@items('Nope')", "'Nope' is not one"),
        ("@body(1)", "of type string"),
    ],
)
def test_missing_references(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        ev(text, DATA)
    assert message in caught.value.message


def test_outputs_of_an_action_without_outputs_fails() -> None:
    with pytest.raises(ExpressionError):
        ev("@outputs('Set')", DATA)


def test_now_is_pinned_when_given() -> None:
    assert StaticContext({"now": "2025-03-01T10:00:00Z"}).now() == datetime(2025, 3, 1, 10, tzinfo=UTC)
    assert StaticContext({}).now().tzinfo is not None
