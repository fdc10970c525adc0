"""ip-filter: allow or forbid callers by IP address and range (IPv4 and IPv6), 403 otherwise."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from keyless.gateway.element import Element
from keyless.gateway.policies._security import check_attributes, check_children, is_expression, respond
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, RequestState, Value

NAME = "ip-filter"
ACTIONS = ("allow", "forbid")
STATUS = 403
BODY_MESSAGE = "Forbidden"
# reason -> LastError.Message template
MESSAGES = {
    "CallerIpNotAllowed": "Caller IP address {ip} is not allowed. Access denied.",
    "CallerIpBlocked": "Caller IP address {ip} is blocked. Access denied.",
    "FailedToParseCallerIP": "Failed to parse caller IP address '{ip}'.",
}

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_ip(text: str) -> Address:
    address = ipaddress.ip_address(text.strip().strip("[]"))
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True)
class Rule:
    low: Address | None  # compiled when constant
    high: Address | None
    expressions: tuple[Value, ...] = ()  # (address,) or (from, to) given as expressions

    def matches(self, ip: Address, state: RequestState) -> bool:
        low, high = self.low, self.high
        if self.expressions:
            parts = [parse_ip(str(v.get(state))) for v in self.expressions]
            low, high = parts[0], parts[-1]
        assert low is not None and high is not None
        if low.version != ip.version or high.version != ip.version:
            return False
        return low <= ip <= high  # type: ignore[operator]


@dataclass(frozen=True)
class Config:
    allow: bool
    rules: tuple[Rule, ...]


def _address(element: Element, ctx: CompileContext, raw: str, attribute: str | None) -> Address | None:
    if is_expression(raw):
        return None
    try:
        return parse_ip(raw)
    except ValueError:
        raise ctx.error(element, f"'{raw}' is not an IP address.", attribute=attribute) from None


def compile_policy(element: Element, ctx: CompileContext) -> Config:
    check_attributes(element, ctx, ("id", "action"))
    check_children(element, ctx, ("address", "address-range"))
    action = element.attrs.get("action", "")
    if action not in ACTIONS:
        raise ctx.error(element, f"'action' must be 'allow' or 'forbid', not '{action}'.", attribute="action")
    rules: list[Rule] = []
    for child in element.children:
        if child.name == "address":
            check_attributes(child, ctx, ())
            check_children(child, ctx, (), text=True)
            if not child.text:
                raise ctx.error(child, "<address> must not be empty.")
            ip = _address(child, ctx, child.text, None)
            rules.append(Rule(ip, ip, () if ip else (ctx.value(child, child.text),)))
        elif child.name == "address-range":
            check_attributes(child, ctx, ("from", "to"))
            check_children(child, ctx, ())
            if not child.attrs.get("from") or not child.attrs.get("to"):
                raise ctx.error(child, "<address-range> needs 'from' and 'to'.")
            low = _address(child, ctx, child.attrs["from"], "from")
            high = _address(child, ctx, child.attrs["to"], "to")
            if low is not None and high is not None:
                if low.version != high.version:
                    raise ctx.error(child, "'from' and 'to' must be both IPv4 or both IPv6.")
                if low > high:  # type: ignore[operator]
                    raise ctx.error(child, f"'from' ({low}) is greater than 'to' ({high}).")
                rules.append(Rule(low, high))
            else:
                values = (
                    ctx.value(child, child.attrs["from"], attribute="from"),
                    ctx.value(child, child.attrs["to"], attribute="to"),
                )
                rules.append(Rule(None, None, values))
        else:
            raise ctx.error(child, f"<{child.name}> is not allowed in <ip-filter>; allowed: address, address-range.")
    if not rules:
        raise ctx.error(element, "<ip-filter> needs at least one <address> or <address-range>.")
    return Config(action == "allow", tuple(rules))


def _refuse(state: RequestState, reason: str, ip: str) -> PolicyError:
    respond(state, STATUS, BODY_MESSAGE)
    message = MESSAGES[reason].format(ip=ip)
    state.trace(NAME, {"message": message})
    return PolicyError(NAME, reason, message)


async def run(cfg: Config, state: RequestState) -> None:
    raw = state.request.client_ip or ""
    try:
        ip = parse_ip(raw)
    except ValueError:
        raise _refuse(state, "FailedToParseCallerIP", raw) from None
    listed = any(rule.matches(ip, state) for rule in cfg.rules)
    if cfg.allow and not listed:
        raise _refuse(state, "CallerIpNotAllowed", str(ip))
    if not cfg.allow and listed:
        raise _refuse(state, "CallerIpBlocked", str(ip))
    return None


SPEC = PolicySpec(NAME, frozenset({"inbound"}), compile_policy, run)
