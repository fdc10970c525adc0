"""AES as .NET has it (`Aes.Create()`, CBC/ECB, PKCS7/Zeros/None padding) and APIM's byte[] Encrypt/Decrypt."""

from __future__ import annotations

import os
from typing import Any

from keyless.csharp.dotnet.enums import enum
from keyless.csharp.errors import DotNetException, argument_null
from keyless.csharp.members import EXTENSIONS, DotNetType, define_type

CipherMode = enum("CipherMode", "System.Security.Cryptography.CipherMode", {"CBC": 1, "ECB": 2, "OFB": 3, "CFB": 4,
                                                                           "CTS": 5})  # fmt: skip
PaddingMode = enum(
    "PaddingMode",
    "System.Security.Cryptography.PaddingMode",
    {"None": 1, "PKCS7": 2, "Zeros": 3, "ANSIX923": 4, "ISO10126": 5},
)


def _crypto_error(message: str) -> DotNetException:
    return DotNetException("CryptographicException", message)


class Aes:
    """`Aes.Create()`: a 256-bit random key and IV, CBC with PKCS7, as .NET's defaults."""

    __dotnet_name__ = "System.Security.Cryptography.Aes"

    def __init__(self) -> None:
        self.Key = bytearray(os.urandom(32))
        self.IV = bytearray(os.urandom(16))
        self.Mode = CipherMode.CBC
        self.Padding = PaddingMode.PKCS7
        self.BlockSize = 128

    @property
    def KeySize(self) -> int:
        return len(self.Key) * 8

    @KeySize.setter
    def KeySize(self, bits: int) -> None:
        if bits not in (128, 192, 256):
            raise _crypto_error("Specified key is not a valid size for this algorithm.")
        self.Key = bytearray(os.urandom(bits // 8))

    def GenerateKey(self) -> None:
        self.Key = bytearray(os.urandom(len(self.Key)))

    def GenerateIV(self) -> None:
        self.IV = bytearray(os.urandom(16))

    def CreateEncryptor(self, key: Any = None, iv: Any = None) -> CryptoTransform:
        return CryptoTransform(self, key, iv, encrypt=True)

    def CreateDecryptor(self, key: Any = None, iv: Any = None) -> CryptoTransform:
        return CryptoTransform(self, key, iv, encrypt=False)

    def Dispose(self) -> None:
        pass


class CryptoTransform:
    __dotnet_name__ = "System.Security.Cryptography.ICryptoTransform"

    def __init__(self, aes: Aes, key: Any, iv: Any, encrypt: bool) -> None:
        self.key = bytes(aes.Key if key is None else key)
        self.iv = bytes(aes.IV if iv is None else iv)
        self.mode, self.padding, self.encrypt = int(aes.Mode), int(aes.Padding), encrypt

    def TransformFinalBlock(self, data: Any, offset: int = 0, count: int | None = None) -> bytearray:
        if data is None:
            raise argument_null("inputBuffer")
        chunk = bytes(data)[offset : len(data) if count is None else offset + count]
        return bytearray(_run(chunk, self.key, self.iv, self.mode, self.padding, self.encrypt))

    def Dispose(self) -> None:
        pass


def _run(data: bytes, key: bytes, iv: bytes, mode: int, padding_mode: int, encrypt: bool) -> bytes:
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    if len(key) not in (16, 24, 32):
        raise _crypto_error("Specified key is not a valid size for this algorithm.")
    if mode == 1:
        if len(iv) != 16:
            raise _crypto_error(
                "Specified initialization vector (IV) does not match the block size for this algorithm."
            )
        cipher_mode: Any = modes.CBC(iv)
    elif mode == 2:
        cipher_mode = modes.ECB()  # noqa: S305  (.NET offers ECB; policies choose it)
    else:
        raise DotNetException("NotSupportedException", f"keyless implements AES in CBC and ECB modes only, not {mode}")
    cipher = Cipher(algorithms.AES(key), cipher_mode)
    if encrypt:
        if padding_mode == 2:
            p = padding.PKCS7(128).padder()
            data = p.update(data) + p.finalize()
        elif padding_mode == 3:
            data += b"\0" * (-len(data) % 16)
        elif padding_mode == 1 and len(data) % 16:
            raise _crypto_error("The input data is not a complete block.")
        elif padding_mode not in (1, 2, 3):
            raise DotNetException("NotSupportedException", "keyless implements PKCS7, Zeros and None padding only")
        e = cipher.encryptor()
        return e.update(data) + e.finalize()
    if len(data) % 16:
        raise _crypto_error("The input data is not a complete block.")
    d = cipher.decryptor()
    raw = d.update(data) + d.finalize()
    if padding_mode == 2:
        try:
            u = padding.PKCS7(128).unpadder()
            return u.update(raw) + u.finalize()
        except ValueError:
            raise _crypto_error("Padding is invalid and cannot be removed.") from None
    return raw


def _algorithm(alg: Any, key: Any, iv: Any) -> tuple[bytes, bytes, int, int]:
    """`Encrypt("Aes", key, iv)` / `Encrypt(aes)` / `Encrypt(aes, key, iv)`: the key, IV, mode and padding."""
    if isinstance(alg, Aes):
        return (bytes(alg.Key if key is None else key), bytes(alg.IV if iv is None else iv), int(alg.Mode),
                int(alg.Padding))  # fmt: skip
    if alg is None:
        raise argument_null("alg")
    if str(alg).lower() not in ("aes", "system.security.cryptography.aes", "rijndael"):
        raise DotNetException("NotSupportedException", f"keyless implements Encrypt/Decrypt for Aes only, not '{alg}'")
    if key is None or iv is None:
        raise argument_null("key" if key is None else "iv")
    return bytes(key), bytes(iv), 1, 2


def encrypt(data: Any, alg: Any, key: Any = None, iv: Any = None) -> bytearray:
    """APIM's `byte[].Encrypt(alg[, key, iv])`."""
    if data is None:
        raise argument_null("input")
    k, i, mode, pad = _algorithm(alg, key, iv)
    return bytearray(_run(bytes(data), k, i, mode, pad, encrypt=True))


def decrypt(data: Any, alg: Any, key: Any = None, iv: Any = None) -> bytearray:
    """APIM's `byte[].Decrypt(alg[, key, iv])`."""
    if data is None:
        raise argument_null("input")
    k, i, mode, pad = _algorithm(alg, key, iv)
    return bytearray(_run(bytes(data), k, i, mode, pad, encrypt=False))


class _AesStatics:
    Create = staticmethod(lambda *a: Aes())


for _t in (bytearray, bytes):
    EXTENSIONS.setdefault("Encrypt", []).append((_t, encrypt))
    EXTENSIONS.setdefault("Decrypt", []).append((_t, decrypt))
for _name in ("Aes", "SymmetricAlgorithm", "AesManaged", "AesCryptoServiceProvider"):
    define_type(DotNetType(_name, f"System.Security.Cryptography.{_name}", (Aes,), _AesStatics, Aes))
