"""Hashing and HMAC (`SHA256.Create().ComputeHash`, `new HMACSHA256(key)`), and APIM's byte[] Encrypt/Decrypt."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from keyless.csharp.errors import DotNetException, argument_null
from keyless.csharp.members import EXTENSIONS, DotNetType, define_type


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


def _cipher(alg: Any, key: Any, iv: Any) -> Any:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    if str(alg).lower() not in ("aes", "rijndael", "system.security.cryptography.aes"):
        raise DotNetException("NotSupportedException", f"keyless implements Encrypt/Decrypt only for Aes, not '{alg}'")
    if key is None or iv is None:
        raise argument_null("key" if key is None else "iv")
    try:
        return Cipher(algorithms.AES(bytes(key)), modes.CBC(bytes(iv)))
    except ValueError as exc:
        raise DotNetException("CryptographicException", str(exc)) from None


def encrypt(data: Any, alg: Any, key: Any, iv: Any) -> bytearray:
    """APIM's `byte[].Encrypt("Aes", key, iv)`: CBC with PKCS7 padding, as .NET's defaults."""
    from cryptography.hazmat.primitives import padding

    padder = padding.PKCS7(128).padder()
    plain = padder.update(bytes(data)) + padder.finalize()
    enc = _cipher(alg, key, iv).encryptor()
    return bytearray(enc.update(plain) + enc.finalize())


def decrypt(data: Any, alg: Any, key: Any, iv: Any) -> bytearray:
    from cryptography.hazmat.primitives import padding

    dec = _cipher(alg, key, iv).decryptor()
    try:
        raw = dec.update(bytes(data)) + dec.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        return bytearray(unpadder.update(raw) + unpadder.finalize())
    except ValueError:
        raise DotNetException("CryptographicException", "Padding is invalid and cannot be removed.") from None


for _t in (bytearray, bytes):
    EXTENSIONS.setdefault("Encrypt", []).append((_t, encrypt))
    EXTENSIONS.setdefault("Decrypt", []).append((_t, decrypt))
