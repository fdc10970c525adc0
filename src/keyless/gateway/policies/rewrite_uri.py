"""rewrite-uri: replace the operation part (path and query) of the backend URL with a template."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote

from keyless.gateway.element import Element
from keyless.gateway.policies import _transform as t
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, Value

NAME = "rewrite-uri"
PARAM = re.compile(r"\{([^{}]*)\}")
# Path template parameter values are escaped as path segments; query values as query components (by Url).
PATH_SAFE = "!$&'()*+,;=:@-._~"


@dataclass(frozen=True)
class Config:
    template: Value
    copy_unmatched: Value


def compile(element: Element, ctx: CompileContext) -> Config:
    t.check_attributes(element, ctx, ("template", "copy-unmatched-params"))
    t.check_children(element, ctx, ())
    t.check_no_text(element, ctx)
    raw = t.required(element, ctx, "template")
    if "@(" in raw or "@{" in raw:
        if not t.is_expression(raw) or not raw.rstrip().endswith((")", "}")):
            raise ctx.error(element, "When using expressions, the whole 'template' value must be an expression.",
                            "template")  # fmt: skip
    else:
        for name in PARAM.findall(raw):
            if not name.strip():
                raise ctx.error(element, "The template has an empty '{}' parameter.", "template")
    copy = t.boolean(element, ctx, "copy-unmatched-params", True)
    return Config(ctx.value(element, raw, attribute="template"), copy)


async def run(cfg: Config, state: Any) -> None:
    template = t.text_of(cfg.template.get(state))
    copy = t.runtime_bool(cfg.copy_unmatched, state, NAME, "copy-unmatched-params")
    url = state.request.url
    matched = getattr(state, "matched_parameters", None) or {}

    def value_of(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in matched:
            raise PolicyError(
                NAME, "TemplateParameterNotFound", f"The template parameter '{name}' is not in the operation template."
            )
        return str(matched[name])

    path_part, _, query_part = template.partition("?")
    path = PARAM.sub(lambda m: quote(value_of(m), safe=PATH_SAFE), path_part)
    query: dict[str, list[str]] = {}
    for key, value in parse_qsl(query_part, keep_blank_values=True):
        # Query values stay unescaped here; Url escapes the whole query when it is written.
        query.setdefault(PARAM.sub(value_of, key), []).append(PARAM.sub(value_of, value))
    if copy:
        # Query parameters of the incoming request that the operation template does not name are kept.
        templated = _template_query_names(state)
        for key, values in url.query.items():
            if key not in templated and key not in query:
                query[key] = list(values)
    base = t.base_url(state)
    url.path = t.join_path(base.path if base else "", path)
    url.query = query


def _template_query_names(state: Any) -> set[str]:
    template = t.field(getattr(state, "operation", None), "url_template", "urlTemplate", "UrlTemplate") or ""
    _, _, query = str(template).partition("?")
    return {key for key, _ in parse_qsl(query, keep_blank_values=True)}


SPEC = PolicySpec(NAME, frozenset({"inbound"}), compile, run)
