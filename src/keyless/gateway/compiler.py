"""Policy documents -> compiled sections; `<base/>` splicing into per-(operation, product) plans (0002).

Everything is checked here, once, when a document is PUT: well-formed text, root and sections, each policy
known and allowed in its section and scope, `<base/>` at most once per section, expressions compiled,
named values defined, fragments present. The request path runs `Step`s and never sees XML or C# text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from keyless.gateway.element import Element
from keyless.gateway.named_values import substitute
from keyless.gateway.policy import SECTIONS, STOP, PolicyError, PolicySpec, RequestState, RunFn, Stop
from keyless.gateway.policy_xml import ValidationError, parse_document
from keyless.gateway.registry import PolicyRegistry, default_registry

__all__ = [
    "BASE",
    "CompiledDocument",
    "CompiledFragment",
    "Plan",
    "Step",
    "StepList",
    "ValidationError",
    "compile_document",
    "compile_fragment",
    "effective",
]

DOCUMENT_SCOPES = ("global", "workspace", "product", "api", "operation")
EXPRESSION_FAILURE = "ExpressionValueEvaluationFailure"


class _Base:
    """`<base/>` in a compiled section: where the parent scope's section is spliced."""

    def __repr__(self) -> str:
        return "BASE"


BASE = _Base()


@dataclass(frozen=True, slots=True)
class Step:
    """One compiled policy statement, stamped with where it came from (for `context.LastError`)."""

    name: str
    config: Any
    run: RunFn
    scope: str
    section: str
    path: str
    policy_id: str | None = None


class StepList:
    """Compiled statements run in order; `STOP` ends the list, errors carry the failing step."""

    __slots__ = ("steps",)

    def __init__(self, steps: tuple[Step, ...] = ()) -> None:
        self.steps = steps

    def __bool__(self) -> bool:
        return bool(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    async def run(self, state: RequestState) -> Stop | None:
        for step in self.steps:
            try:
                result = await step.run(step.config, state)
            except PolicyError as exc:
                if getattr(exc, "step", None) is None:
                    exc.step = step  # type: ignore[attr-defined]
                    if not exc.source:
                        exc.source = step.name
                raise
            except Exception as exc:
                if not _is_expression_error(exc):
                    raise
                error = PolicyError(step.name, EXPRESSION_FAILURE, expression_failure(exc))
                error.step = step  # type: ignore[attr-defined]
                raise error from exc
            if result is STOP:
                return STOP
        return None


def expression_failure(exc: Exception) -> str:
    """LastError.Message of a failed expression: "Expression evaluation failed. <.NET message>"."""
    message = str(getattr(exc, "message", None) or exc)
    type_name = getattr(exc, "type_name", None)
    if type_name and message.startswith(f"{type_name}: "):
        message = message[len(type_name) + 2 :]
    return f"Expression evaluation failed. {message}"


def _is_expression_error(exc: Exception) -> bool:
    try:
        from keyless.csharp.errors import ExpressionRuntimeError
    except ImportError:  # pragma: no cover - only before keyless.csharp exists
        return False
    return isinstance(exc, ExpressionRuntimeError)


class Constant:
    """A literal attribute or text value."""

    __slots__ = ("value",)
    is_constant = True

    def __init__(self, value: Any) -> None:
        self.value = value

    def get(self, state: RequestState) -> Any:
        return self.value

    def __repr__(self) -> str:
        return f"Constant({self.value!r})"


class ExpressionValue:
    """A compiled `@(...)`/`@{...}`; a failure at run time is ExpressionValueEvaluationFailure."""

    __slots__ = ("expression", "text")
    is_constant = False

    def __init__(self, expression: Any, text: str) -> None:
        self.expression = expression
        self.text = text

    def get(self, state: RequestState) -> Any:
        try:
            return self.expression.evaluate(state.context)
        except PolicyError:
            raise
        except Exception as exc:
            # the source (the policy's name) is filled in by the StepList running the policy
            raise PolicyError("", EXPRESSION_FAILURE, expression_failure(exc)) from exc

    def __repr__(self) -> str:
        return f"ExpressionValue({self.text!r})"


def is_expression(raw: str) -> bool:
    text = raw.strip()
    return (text.startswith("@(") and text.endswith(")")) or (text.startswith("@{") and text.endswith("}"))


@dataclass(frozen=True)
class CompiledFragment:
    """A checked `<fragment>`: its elements are compiled again where they are included (section, scope)."""

    root: Element
    named_values: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CompiledDocument:
    """One scope's document: section name -> statements (Step or BASE); a missing section is None."""

    scope: str
    sections: Mapping[str, tuple[Step | _Base, ...] | None]
    named_values: frozenset[str] = frozenset()
    fragments: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Plan:
    """The effective policy of one (operation, product): four compiled sections, `<base/>` spliced."""

    inbound: StepList = field(default_factory=StepList)
    backend: StepList = field(default_factory=StepList)
    outbound: StepList = field(default_factory=StepList)
    on_error: StepList = field(default_factory=StepList)


class _Compilation:
    """State of one document's compilation: registry, scope, fragments, element paths."""

    def __init__(self, registry: PolicyRegistry, scope: str, fragments: Mapping[str, CompiledFragment] | None) -> None:
        self.registry = registry
        self.scope = scope
        self.fragments = fragments
        self.fragments_used: set[str] = set()
        self.paths: dict[int, str] = {}
        self.once_seen: dict[tuple[str, str], int] = {}

    def index(self, element: Element, prefix: str) -> None:
        """Record the LastError.Path of every element below `element` (1-based positions, `\\`-joined)."""
        counts: dict[str, int] = {}
        for child in element.children:
            counts[child.name] = counts.get(child.name, 0) + 1
            path = f"{prefix}\\{child.name}[{counts[child.name]}]" if prefix else f"{child.name}[{counts[child.name]}]"
            self.paths[id(child)] = path
            self.index(child, path)

    def statements(self, parent: Element, section: str | None, *, allow_base: bool) -> tuple[Step | _Base, ...]:
        if parent.text:
            raise ValidationError(f"Unexpected text inside <{parent.name}>", parent.name, parent.line, parent.column)
        out: list[Step | _Base] = []
        seen_base = False
        for element in parent.children:
            if element.name == "base":
                if not allow_base:
                    where = "a policy fragment" if self.scope == "fragment" else f"<{parent.name}>"
                    raise ValidationError(f"<base/> is not allowed in {where}", "base", element.line, element.column)
                if seen_base:
                    raise ValidationError(
                        f"<base/> may appear only once in the '{section}' section", "base", element.line, element.column
                    )
                if element.attrs or element.children or element.text:
                    raise ValidationError(
                        "<base/> takes no attributes or content", "base", element.line, element.column
                    )
                seen_base = True
                out.append(BASE)
                continue
            step = self.step(element, section)
            if allow_base:
                self.check_once(step, element, section)
            out.append(step)
        return tuple(out)

    def check_once(self, step: Step, element: Element, section: str | None) -> None:
        """A policy APIM allows once per document (forward-request, rate-limit) may not repeat in a section."""
        spec = self.registry.get(step.name)
        if spec is None or not spec.once:
            return
        key = (section or "", step.name)
        self.once_seen[key] = self.once_seen.get(key, 0) + 1
        if self.once_seen[key] > 1:
            raise ValidationError(
                f"The policy '{step.name}' may appear only once in the '{section}' section",
                step.name,
                element.line,
                element.column,
            )

    def step(self, element: Element, section: str | None) -> Step:
        spec = self.registry.get(element.name)
        if spec is None:
            raise ValidationError(self.registry.refusal(element.name), element.name, element.line, element.column)
        self.check_placement(spec, element, section)
        path = self.paths.get(id(element), element.name)
        policy_id = element.attrs.get("id")
        if policy_id is not None:  # every policy may carry `id` (LastError.PolicyId); policies never see it
            attrs = {k: v for k, v in element.attrs.items() if k != "id"}
            element = dataclasses.replace(element, attrs=attrs)
            self.paths[id(element)] = path
        ctx = _Context(self, section or "", path)
        config = spec.compile(element, ctx)
        return Step(spec.name, config, spec.run, self.scope, section or "", path, policy_id)

    def check_placement(self, spec: PolicySpec, element: Element, section: str | None) -> None:
        if section is not None and section not in spec.sections:
            allowed = ", ".join(s for s in SECTIONS if s in spec.sections)
            raise ValidationError(
                f"The policy '{spec.name}' is not allowed in the '{section}' section (allowed: {allowed})",
                spec.name,
                element.line,
                element.column,
            )
        if self.scope in DOCUMENT_SCOPES and self.scope not in spec.scopes:
            raise ValidationError(
                f"The policy '{spec.name}' is not allowed at the {self.scope} scope",
                spec.name,
                element.line,
                element.column,
            )

    def fragment(self, element: Element, fragment_id: str, section: str, path: str) -> StepList:
        if self.scope == "fragment":
            raise ValidationError(
                "A policy fragment cannot include another fragment", element.name, element.line, element.column
            )
        found = (self.fragments or {}).get(fragment_id)
        if found is None:
            raise ValidationError(
                f"The policy fragment '{fragment_id}' does not exist", element.name, element.line, element.column
            )
        self.fragments_used.add(fragment_id)
        self.index(found.root, path)
        items = self.statements(found.root, section, allow_base=False)
        return StepList(tuple(s for s in items if isinstance(s, Step)))


class _Context:
    """The CompileContext a policy's `compile` gets."""

    def __init__(self, compilation: _Compilation, section: str, path: str) -> None:
        self._c = compilation
        self.scope = compilation.scope
        self.section = section
        self.path = path

    def error(self, element: Element, message: str, attribute: str | None = None) -> Exception:
        line, column = element.attr_positions.get(attribute, (element.line, element.column)) if attribute else (0, 0)
        if not line:
            line, column = element.line, element.column
        return ValidationError(message, element.name, line, column)

    def value(
        self,
        element: Element,
        raw: str | None,
        *,
        attribute: str | None = None,
        allow_expression: bool = True,
        default: Any = None,
    ) -> Constant | ExpressionValue:
        if raw is None:
            return Constant(default)
        if not is_expression(raw):
            return Constant(raw)
        where = f"attribute '{attribute}' of " if attribute else "the content of "
        if not allow_expression:
            raise self.error(element, f"Policy expressions are not allowed in {where}<{element.name}>", attribute)
        return ExpressionValue(self._compile_expression(element, raw.strip(), attribute, where), raw.strip())

    def _compile_expression(self, element: Element, text: str, attribute: str | None, where: str) -> Any:
        from keyless.csharp.api import compile_expression

        try:
            return compile_expression(text)
        except Exception as exc:
            line, column = (
                element.attr_positions.get(attribute, (element.line, element.column)) if attribute else (0, 0)
            )
            if not line:
                line, column = element.line, element.column
            sub_line = getattr(exc, "line", None)
            sub_col = getattr(exc, "column", None)
            if isinstance(sub_line, int) and isinstance(sub_col, int) and sub_line >= 1:
                line, column = line + sub_line - 1, (column + sub_col - 1) if sub_line == 1 else sub_col
            message = getattr(exc, "message", None) or str(exc)
            raise ValidationError(
                f"Error in the policy expression in {where}<{element.name}>: {message}", element.name, line, column
            ) from None

    def children(self, element: Element) -> StepList:
        if id(element) not in self._c.paths:
            self._c.index(element, self.path)
        elif element.children and id(element.children[0]) not in self._c.paths:
            self._c.index(element, self._c.paths[id(element)])
        items = self._c.statements(element, self.section or None, allow_base=False)
        return StepList(tuple(s for s in items if isinstance(s, Step)))

    def fragment(self, element: Element, fragment_id: str) -> StepList:
        """The compiled statements of a policy fragment, inlined where `include-fragment` stands."""
        return self._c.fragment(element, fragment_id, self.section, self.path)


def _parse(raw: str, named_values: Mapping[str, str] | None) -> tuple[Element, frozenset[str]]:
    text, origin, used = substitute(raw, dict(named_values or {}))
    return parse_document(text, origin, raw), used


def compile_document(
    raw: str,
    *,
    scope: str,
    named_values: Mapping[str, str] | None = None,
    fragments: Mapping[str, CompiledFragment] | None = None,
    registry: PolicyRegistry | None = None,
) -> CompiledDocument:
    """Compile one scope's `<policies>` document (format `xml` or `rawxml`); refusals raise ValidationError."""
    if scope not in DOCUMENT_SCOPES:
        raise ValueError(f"unknown policy scope {scope!r}")
    root, used = _parse(raw, named_values)
    if root.name != "policies":
        raise ValidationError(
            f"The root element must be <policies>, not <{root.name}>", root.name, root.line, root.column
        )
    if root.attrs:
        raise ValidationError(
            f"<policies> takes no attributes (found '{next(iter(root.attrs))}')", root.name, root.line, root.column
        )
    compilation = _Compilation(registry or default_registry(), scope, fragments)
    sections: dict[str, tuple[Step | _Base, ...] | None] = dict.fromkeys(SECTIONS)
    seen: set[str] = set()
    if root.text:
        raise ValidationError("Unexpected text inside <policies>", root.name, root.line, root.column)
    for element in root.children:
        if element.name not in SECTIONS:
            raise ValidationError(
                f"<{element.name}> is not a section: <policies> holds inbound, backend, outbound and on-error",
                element.name,
                element.line,
                element.column,
            )
        if element.name in seen:
            raise ValidationError(
                f"The '{element.name}' section appears more than once", element.name, element.line, element.column
            )
        if element.attrs:
            raise ValidationError(f"<{element.name}> takes no attributes", element.name, element.line, element.column)
        seen.add(element.name)
        compilation.index(element, "")
        sections[element.name] = compilation.statements(element, element.name, allow_base=True)
    return CompiledDocument(scope, sections, used, frozenset(compilation.fragments_used))


def compile_fragment(
    raw: str, *, named_values: Mapping[str, str] | None = None, registry: PolicyRegistry | None = None
) -> CompiledFragment:
    """Check a `<fragment>` document: known policies, expressions compiled, no sections, no `<base/>`."""
    root, used = _parse(raw, named_values)
    if root.name != "fragment":
        raise ValidationError(
            f"The root element of a policy fragment must be <fragment>, not <{root.name}>",
            root.name,
            root.line,
            root.column,
        )
    if root.attrs:
        raise ValidationError("<fragment> takes no attributes", root.name, root.line, root.column)
    compilation = _Compilation(registry or default_registry(), "fragment", None)
    compilation.index(root, "")
    for element in root.children:
        if element.name in SECTIONS:
            raise ValidationError(
                f"A policy fragment cannot contain the <{element.name}> section",
                element.name,
                element.line,
                element.column,
            )
    compilation.statements(root, None, allow_base=False)
    return CompiledFragment(root, used)


def _splice(docs: list[CompiledDocument], section: str) -> list[Step]:
    """The section of the narrowest document, its `<base/>` replaced by the broader scopes' section."""
    if not docs:
        return []
    items = docs[0].sections.get(section)
    if items is None:  # a document without this section inherits it whole [INF]
        return _splice(docs[1:], section)
    out: list[Step] = []
    for item in items:
        if item is BASE:
            out.extend(_splice(docs[1:], section))
        else:
            out.append(item)  # type: ignore[arg-type]
    return out


def effective(
    global_doc: CompiledDocument | None,
    product_doc: CompiledDocument | None,
    api_doc: CompiledDocument | None,
    operation_doc: CompiledDocument | None,
) -> Plan:
    """Splice `<base/>` per section, narrowest scope first; `product_doc` is None outside a product context."""
    docs = [d for d in (operation_doc, api_doc, product_doc, global_doc) if d is not None]
    return Plan(*(StepList(tuple(_splice(docs, s))) for s in SECTIONS))
