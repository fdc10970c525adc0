"""The rest of APIM's allow-list: Queue, Stack, Tuple, IPAddress, StringReader/StringWriter, RandomNumberGenerator."""

from __future__ import annotations

import ipaddress
import os
from typing import Any

from keyless.csharp.dotnet.collections import enumerate_items
from keyless.csharp.dotnet.enums import enum
from keyless.csharp.dotnet.text import to_string
from keyless.csharp.errors import DotNetException, argument_null, invalid_operation
from keyless.csharp.members import DotNetType, Property, Ref, builtin_members, define_type, generic

AddressFamily = enum("AddressFamily", "System.Net.Sockets.AddressFamily", {"InterNetwork": 2, "InterNetworkV6": 23})


class Queue(list):  # type: ignore[type-arg]
    __dotnet_name__ = "System.Collections.Generic.Queue`1"

    def Enqueue(self, item: Any) -> None:
        self.append(item)

    def Dequeue(self) -> Any:
        if not self:
            raise invalid_operation("Queue empty.")
        return self.pop(0)

    def Peek(self) -> Any:
        if not self:
            raise invalid_operation("Queue empty.")
        return self[0]


class Stack(list):  # type: ignore[type-arg]
    __dotnet_name__ = "System.Collections.Generic.Stack`1"

    def Push(self, item: Any) -> None:
        self.append(item)

    def Pop(self) -> Any:
        if not self:
            raise invalid_operation("Stack empty.")
        return self.pop()

    def Peek(self) -> Any:
        if not self:
            raise invalid_operation("Stack empty.")
        return self[-1]

    def __dotnet_iter__(self) -> Any:  # a stack enumerates from the top
        return reversed(list(self))


for _cls in (Queue, Stack):
    builtin_members(_cls, {"Count": Property(len), "Clear": list.clear, "Contains": lambda s, x: x in list(s),
                           "ToArray": lambda s: list(enumerate_items(s))})  # fmt: skip


@generic
def _new_queue(type_args: tuple[Any, ...], items: Any = None) -> Queue:
    q = Queue()
    if items is not None and not isinstance(items, int):
        q.extend(enumerate_items(items))
    return q


@generic
def _new_stack(type_args: tuple[Any, ...], items: Any = None) -> Stack:
    s = Stack()
    if items is not None and not isinstance(items, int):
        s.extend(enumerate_items(items))
    return s


class Tuple:
    __dotnet_name__ = "System.Tuple"

    def __init__(self, *items: Any) -> None:
        if not 1 <= len(items) <= 7:
            raise DotNetException("NotSupportedException", "keyless implements Tuple with 1 to 7 items")
        for i, v in enumerate(items, 1):
            setattr(self, f"Item{i}", v)
        self._items = items

    def ToString(self) -> str:
        return "(" + ", ".join(to_string(v) for v in self._items) + ")"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tuple) and other._items == self._items

    def __hash__(self) -> int:
        return hash(self._items)


class _TupleStatics:
    Create = staticmethod(lambda *items: Tuple(*items))


class IPAddress:
    __dotnet_name__ = "System.Net.IPAddress"

    def __init__(self, value: Any) -> None:
        if isinstance(value, bytes | bytearray):
            self._ip: Any = ipaddress.ip_address(bytes(value))
        elif isinstance(value, int):
            self._ip = ipaddress.IPv4Address(value.to_bytes(4, "little", signed=False))
        else:
            self._ip = value

    AddressFamily = property(
        lambda self: AddressFamily.InterNetwork if self._ip.version == 4 else AddressFamily.InterNetworkV6
    )
    IsIPv4MappedToIPv6 = property(lambda self: self._ip.version == 6 and self._ip.ipv4_mapped is not None)

    def GetAddressBytes(self) -> bytearray:
        return bytearray(self._ip.packed)

    def MapToIPv4(self) -> IPAddress:
        mapped = getattr(self._ip, "ipv4_mapped", None)
        return IPAddress(mapped) if mapped is not None else self

    def ToString(self) -> str:
        return str(self._ip)

    def Equals(self, other: Any) -> bool:
        return isinstance(other, IPAddress) and other._ip == self._ip

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IPAddress) and other._ip == self._ip

    def __hash__(self) -> int:
        return hash(self._ip)


def _parse_ip(s: Any) -> IPAddress:
    if s is None:
        raise argument_null("ipString")
    try:
        return IPAddress(ipaddress.ip_address(s.strip()))
    except ValueError:
        raise DotNetException("FormatException", "An invalid IP address was specified.") from None


class _IPAddressStatics:
    Parse = staticmethod(_parse_ip)
    Any = IPAddress(ipaddress.ip_address("0.0.0.0"))  # noqa: S104
    Loopback = IPAddress(ipaddress.ip_address("127.0.0.1"))
    IPv6Loopback = IPAddress(ipaddress.ip_address("::1"))

    @staticmethod
    def TryParse(s: Any, out: Ref) -> bool:
        try:
            out.value = _parse_ip(s)
            return True
        except DotNetException:
            out.value = None
            return False

    @staticmethod
    def IsLoopback(address: IPAddress) -> bool:
        return bool(address._ip.is_loopback)


class StringReader:
    __dotnet_name__ = "System.IO.StringReader"

    def __init__(self, s: Any) -> None:
        if s is None:
            raise argument_null("s")
        self._s, self._pos = s, 0

    def ReadLine(self) -> str | None:
        if self._pos >= len(self._s):
            return None
        rest = self._s[self._pos :]
        line = rest.splitlines()[0] if rest else ""
        self._pos += len(line)
        if self._s.startswith("\r\n", self._pos):
            self._pos += 2
        elif self._pos < len(self._s) and self._s[self._pos] in "\r\n":
            self._pos += 1
        return line

    def ReadToEnd(self) -> str:
        rest = self._s[self._pos :]
        self._pos = len(self._s)
        return rest

    def Peek(self) -> int:
        return ord(self._s[self._pos]) if self._pos < len(self._s) else -1

    def Read(self) -> int:
        c = self.Peek()
        self._pos += c >= 0
        return c

    def Dispose(self) -> None:
        pass


class StringWriter:
    __dotnet_name__ = "System.IO.StringWriter"

    def __init__(self, *args: Any) -> None:
        self._parts: list[str] = []

    def Write(self, value: Any, *args: Any) -> None:
        from keyless.csharp.dotnet.text import composite_format

        self._parts.append(composite_format(value, args) if args else to_string(value))

    def WriteLine(self, value: Any = "", *args: Any) -> None:
        self.Write(value, *args)
        self._parts.append("\r\n")

    def ToString(self) -> str:
        return "".join(self._parts)

    def Dispose(self) -> None:
        pass


class RandomNumberGenerator:
    __dotnet_name__ = "System.Security.Cryptography.RandomNumberGenerator"

    def GetBytes(self, buffer: bytearray) -> None:
        buffer[:] = os.urandom(len(buffer))

    def GetNonZeroBytes(self, buffer: bytearray) -> None:
        buffer[:] = bytes(b or 1 for b in os.urandom(len(buffer)))

    def Dispose(self) -> None:
        pass


class _RandomNumberGeneratorStatics:
    Create = staticmethod(lambda *a: RandomNumberGenerator())
    GetInt32 = staticmethod(
        lambda *a: (
            int.from_bytes(os.urandom(4), "little") % (a[-1] - (a[0] if len(a) == 2 else 0))
            + (a[0] if len(a) == 2 else 0)
        )
    )


class HashAlgorithmName:
    __dotnet_name__ = "System.Security.Cryptography.HashAlgorithmName"

    def __init__(self, name: str) -> None:
        self.Name = name

    def ToString(self) -> str:
        return self.Name


class _HashAlgorithmNameStatics:
    MD5, SHA1, SHA256, SHA384, SHA512 = (HashAlgorithmName(n) for n in ("MD5", "SHA1", "SHA256", "SHA384", "SHA512"))


define_type(DotNetType("Queue", "System.Collections.Generic.Queue`1", (Queue,), None, _new_queue,
                       aliases=("System.Collections.Generic.Queue",)))  # fmt: skip
define_type(DotNetType("Stack", "System.Collections.Generic.Stack`1", (Stack,), None, _new_stack,
                       aliases=("System.Collections.Generic.Stack",)))  # fmt: skip
define_type(DotNetType("Tuple", "System.Tuple", (Tuple,), _TupleStatics, Tuple))
define_type(DotNetType("IPAddress", "System.Net.IPAddress", (IPAddress,), _IPAddressStatics, IPAddress))
define_type(DotNetType("StringReader", "System.IO.StringReader", (StringReader,), None, StringReader))
define_type(DotNetType("StringWriter", "System.IO.StringWriter", (StringWriter,), None, StringWriter))
for _name in ("RandomNumberGenerator", "RNGCryptoServiceProvider"):
    define_type(DotNetType(_name, f"System.Security.Cryptography.{_name}", (RandomNumberGenerator,),
                           _RandomNumberGeneratorStatics, RandomNumberGenerator))  # fmt: skip
define_type(DotNetType("HashAlgorithmName", "System.Security.Cryptography.HashAlgorithmName", (HashAlgorithmName,),
                       _HashAlgorithmNameStatics, HashAlgorithmName))  # fmt: skip
