"""Hashing and HMAC: `SHA256.Create().ComputeHash(bytes)`, `new HMACSHA256(key).ComputeHash(bytes)`."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from keyless.csharp.errors import DotNetException, argument_null
from keyless.csharp.members import DotNetType, define_type


def _data(buffer: Any, offset: int | None, count: int | None) -> bytes:
    if buffer is None:
        raise argument_null("buffer")
    if isinstance(buffer, str):
        raise DotNetException("ArgumentException", "ComputeHash takes a byte array")
    b = bytes(buffer)
    if offset is not None:
        b = b[offset : offset + (count if count is not None else len(b))]
    return b


class HashAlgorithm:
    __dotnet_name__ = "System.Security.Cryptography.HashAlgorithm"

    def __init__(self, name: str) -> None:
        self._name = name
        self.Hash: bytearray | None = None

    def ComputeHash(self, buffer: Any, offset: int | None = None, count: int | None = None) -> bytearray:
        self.Hash = bytearray(hashlib.new(self._name, _data(buffer, offset, count)).digest())
        return self.Hash

    HashSize = property(lambda self: hashlib.new(self._name).digest_size * 8)

    def Dispose(self) -> None:
        pass

    def Clear(self) -> None:
        pass


class HMAC(HashAlgorithm):
    __dotnet_name__ = "System.Security.Cryptography.HMAC"

    def __init__(self, name: str, key: Any = None) -> None:
        super().__init__(name)
        if key is None:
            import os

            key = os.urandom(64)
        self.Key = bytearray(key)

    def ComputeHash(self, buffer: Any, offset: int | None = None, count: int | None = None) -> bytearray:
        if self.Key is None:
            raise argument_null("key")
        self.Hash = bytearray(hmac.new(bytes(self.Key), _data(buffer, offset, count), self._name).digest())
        return self.Hash


def _hash_type(name: str, algo: str) -> None:
    class Statics:
        Create = staticmethod(lambda *a: HashAlgorithm(algo))
        HashData = staticmethod(lambda data: bytearray(hashlib.new(algo, _data(data, None, None)).digest()))

    define_type(DotNetType(name, f"System.Security.Cryptography.{name}", (HashAlgorithm,), Statics,
                           lambda: HashAlgorithm(algo)))  # fmt: skip


def _hmac_type(name: str, algo: str) -> None:
    class Statics:
        HashData = staticmethod(
            lambda key, data: bytearray(hmac.new(bytes(key), _data(data, None, None), algo).digest())
        )

    define_type(DotNetType(name, f"System.Security.Cryptography.{name}", (HMAC,), Statics,
                           lambda key=None: HMAC(algo, key)))  # fmt: skip


for _name, _algo in (
    ("SHA1", "sha1"),
    ("SHA256", "sha256"),
    ("SHA384", "sha384"),
    ("SHA512", "sha512"),
    ("MD5", "md5"),
):
    _hash_type(_name, _algo)
    _hash_type(_name + "Managed", _algo)
    _hmac_type("HMAC" + _name, _algo)
define_type(DotNetType("HashAlgorithm", "System.Security.Cryptography.HashAlgorithm", (HashAlgorithm,)))
define_type(DotNetType("HMAC", "System.Security.Cryptography.HMAC", (HMAC,)))
