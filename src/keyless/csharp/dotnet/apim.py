"""APIM's context interface names (`(IResponse)x`): known to the compiler; the gateway registers their classes."""

from __future__ import annotations

from keyless.csharp.members import DotNetType, define_type

for _name in ("IResponse", "IRequest", "IMessageBody", "IUrl", "IApi", "IOperation", "IProduct", "ISubscription",
              "IUser", "IGroup", "IUserIdentity", "IDeployment", "ILastError", "ProxyError", "IProxyRequestContext",
              "IPrivateEndpointConnection", "IContext", "IHeaderDictionary", "IReadOnlyHeaderDictionary"):  # fmt: skip
    define_type(DotNetType(_name, _name, ()))
