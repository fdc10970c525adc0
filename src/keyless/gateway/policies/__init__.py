"""One module per policy; `keyless.gateway.registry` discovers them (each defines `SPEC`)."""
