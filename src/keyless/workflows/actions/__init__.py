"""Action types, one module each; `registry.ACTION_TYPES` maps a lower-case type name to its `ActionSpec`."""
