"""The host-alias table sends Azure host names in artifacts to the local services."""

from __future__ import annotations

from keyless.platform.hosts import HostAliases


def aliases() -> HostAliases:
    return HostAliases.for_endpoints("https://127.0.0.1:1001", "https://127.0.0.1:1002", "https://127.0.0.1:1003")


def test_login_hosts_resolve_to_the_login_listener_keeping_path_and_query() -> None:
    a = aliases()
    url = "https://login.microsoftonline.com/t1/v2.0/.well-known/openid-configuration?appid=x"
    assert a.resolve(url) == "https://127.0.0.1:1001/t1/v2.0/.well-known/openid-configuration?appid=x"
    assert a.resolve("https://sts.windows.net/t1/").startswith("https://127.0.0.1:1001/t1/")


def test_graph_and_management_hosts_case_insensitive() -> None:
    a = aliases()
    assert a.resolve("https://GRAPH.microsoft.com/v1.0/applications") == "https://127.0.0.1:1002/v1.0/applications"
    assert a.resolve("https://management.azure.com/subscriptions/s") == "https://127.0.0.1:1003/subscriptions/s"


def test_other_hosts_are_untouched() -> None:
    a = aliases()
    assert a.resolve("https://example.com/login.microsoftonline.com") == "https://example.com/login.microsoftonline.com"
    assert a.lookup("evil-login.microsoftonline.com.example.com") is None


def test_suffix_aliases_keep_the_host_for_routing() -> None:
    a = aliases()
    a.add_suffix("azure-api.net", "http://127.0.0.1:2000")
    assert a.lookup("contoso.azure-api.net") == "http://127.0.0.1:2000"
    assert a.lookup("azure-api.net") is None
