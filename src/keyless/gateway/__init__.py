"""The API Management-compatible gateway."""
