"""Outbound HTTP for workflow actions: body encoding, headers, authentication, retry and the async pattern."""
