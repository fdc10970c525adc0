""".NET types APIM allows that keyless does not implement: they compile, and fail at run time naming the type."""

from __future__ import annotations

from keyless.csharp.members import DotNetType, define_type

# Types the corpus names that keyless does not implement: System.Xml's DOM, X509 certificates, RSA.
_NAMES = {
    "XmlDocument": "System.Xml.XmlDocument",
    "XmlNode": "System.Xml.XmlNode",
    "XmlNamespaceManager": "System.Xml.XmlNamespaceManager",
    "X509Certificate2": "System.Security.Cryptography.X509Certificates.X509Certificate2",
    "RSA": "System.Security.Cryptography.RSA",
    "RSACng": "System.Security.Cryptography.RSACng",
    "RSASignaturePadding": "System.Security.Cryptography.RSASignaturePadding",
}

for _short, _full in _NAMES.items():
    define_type(DotNetType(_short, _full, (), supported=False))
