""".NET types APIM allows that keyless does not implement: they compile, and fail at run time naming the type."""

from __future__ import annotations

from keyless.csharp.members import DotNetType, define_type

# Types the corpus names (System.Xml, X509, RSA) and symmetric algorithms (Encrypt/Decrypt take "Aes" by name).
_NAMES = {
    "XmlReader": "System.Xml.XmlReader",
    "XmlDocument": "System.Xml.XmlDocument",
    "XmlNode": "System.Xml.XmlNode",
    "XmlNamespaceManager": "System.Xml.XmlNamespaceManager",
    "X509Certificate2": "System.Security.Cryptography.X509Certificates.X509Certificate2",
    "RSA": "System.Security.Cryptography.RSA",
    "RSACng": "System.Security.Cryptography.RSACng",
    "RSASignaturePadding": "System.Security.Cryptography.RSASignaturePadding",
    "Aes": "System.Security.Cryptography.Aes",
    "SymmetricAlgorithm": "System.Security.Cryptography.SymmetricAlgorithm",
}

for _short, _full in _NAMES.items():
    define_type(DotNetType(_short, _full, (), supported=False))
