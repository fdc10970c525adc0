""".NET types APIM allows that keyless does not implement: they compile, and fail at run time naming the type."""

from __future__ import annotations

from keyless.csharp.members import DotNetType, define_type

# Types the corpus names (XML, X509, RSA, IO) and common neighbours of the allow-list.
_NAMES = {
    "XmlReader": "System.Xml.XmlReader", "XmlDocument": "System.Xml.XmlDocument", "XmlNode": "System.Xml.XmlNode",
    "XmlNamespaceManager": "System.Xml.XmlNamespaceManager", "StringReader": "System.IO.StringReader",
    "StringWriter": "System.IO.StringWriter", "X509Certificate2": "System.Security.Cryptography.X509Certificates.X509Certificate2",  # noqa: E501
    "RSA": "System.Security.Cryptography.RSA", "RSACng": "System.Security.Cryptography.RSACng",
    "RSASignaturePadding": "System.Security.Cryptography.RSASignaturePadding",
    "HashAlgorithmName": "System.Security.Cryptography.HashAlgorithmName", "Aes": "System.Security.Cryptography.Aes",
    "RandomNumberGenerator": "System.Security.Cryptography.RandomNumberGenerator", "IPAddress": "System.Net.IPAddress",
    "Tuple": "System.Tuple", "Queue": "System.Collections.Generic.Queue",
    "Stack": "System.Collections.Generic.Stack",
}  # fmt: skip

for _short, _full in _NAMES.items():
    define_type(DotNetType(_short, _full, (), supported=False))
