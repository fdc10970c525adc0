"""Expression functions by group (one module per group of reference §5.4); each registers itself."""
