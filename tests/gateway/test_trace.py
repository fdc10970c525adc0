"""Trace documents: APIM's shape, .NET time formats, secrets masked, a bounded store."""

from __future__ import annotations

import json

from keyless.gateway.trace import MASK, Trace, TraceStore, header_list, timespan


def test_document_shape_and_masking() -> None:
    trace = Trace()
    trace.secrets.add("sub-key-123")
    jwt = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.sig"
    trace.add("inbound", "api-inspector", {"request": {"url": "https://x/a?subscription-key=sub-key-123"}}, 0.0002718)
    trace.add("inbound", "validate-jwt", {"message": f"token {jwt} refused"}, 0.01)
    trace.add("backend", "request-forwarder", {"message": "forwarded"}, 0.02)
    doc = json.loads(trace.document())
    assert doc["traceId"] == trace.trace_id
    assert list(doc["traceEntries"]) == ["inbound", "backend", "outbound", "on-error"]
    first = doc["traceEntries"]["inbound"][0]
    assert first["elapsed"] == "00:00:00.0002718"
    assert first["timestamp"].endswith("Z") and len(first["timestamp"].split(".")[1]) == 8
    text = json.dumps(doc)
    assert "sub-key-123" not in text and jwt not in text and MASK in text


def test_header_list_masks_secret_headers() -> None:
    items = [("Authorization", "Bearer x"), ("Api-Key", "k"), ("Accept", "*/*")]
    assert header_list(items, frozenset({"authorization", "api-key"})) == [
        {"name": "Authorization", "value": MASK},
        {"name": "Api-Key", "value": MASK},
        {"name": "Accept", "value": "*/*"},
    ]


def test_timespan_format() -> None:
    assert timespan(3723.5) == "01:02:03.5000000"


def test_store_keeps_the_latest() -> None:
    store = TraceStore(limit=2)
    traces = [Trace() for _ in range(3)]
    for t in traces:
        store.put(t)
    assert store.get(traces[0].trace_id) is None
    assert store.get(traces[2].trace_id) is not None
