"""include-fragment: a policy fragment's statements, inlined at compile time where the element stands."""

from __future__ import annotations

from typing import Any

from keyless.gateway.element import Element
from keyless.gateway.policy import SECTIONS, CompileContext, PolicySpec, Steps, Stop

NAME = "include-fragment"


def compile(element: Element, ctx: CompileContext) -> Steps:
    for attr in element.attrs:
        if attr != "fragment-id":
            raise ctx.error(element, f"The '{attr}' attribute is not declared.", attr)
    if element.children or element.text:
        raise ctx.error(element, "The element 'include-fragment' cannot have content.")
    fragment_id = element.attrs.get("fragment-id")
    if not fragment_id:
        raise ctx.error(element, "The required attribute 'fragment-id' is missing.", "fragment-id")
    ctx.value(element, fragment_id, attribute="fragment-id", allow_expression=False)
    inline = getattr(ctx, "fragment", None)
    if inline is None:  # only keyless.gateway.compiler's context can resolve fragments
        raise ctx.error(element, "Policy fragments cannot be included here.")
    return inline(element, fragment_id)  # type: ignore[no-any-return]


async def run(steps: Steps, state: Any) -> Stop | None:
    return await steps.run(state)


SPEC = PolicySpec(NAME, frozenset(SECTIONS), compile, run)
