"""Expression-aware parsing of APIM policy text into `Element`s (apim.md §5 "Raw text is not XML").

APIM stores policies (`rawxml`) with raw `"`, `<`, `&&` inside `@(...)`/`@{...}`. A pre-pass finds each
expression that starts an attribute value or an element's text, balances its brackets while skipping C#
string and char literals, and XML-escapes its body; then expat parses the result with DTDs and entities
refused. Positions in errors and elements refer to the original text, through an offset map.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from xml.parsers import expat

from keyless.gateway.element import Element


class ValidationError(Exception):
    """A policy document refused at PUT: what is wrong, which element, where (1-based line and column)."""

    def __init__(self, message: str, element: str | None = None, line: int = 0, column: int = 0) -> None:
        where = f" (line {line}, column {column})" if line else ""
        super().__init__(f"{message}{where}")
        self.message = message
        self.element = element
        self.line = line
        self.column = column


_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);")
_ESCAPES = {"<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}
_ATTRIBUTE_ESCAPES = {**_ESCAPES, "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}


class _Positions:
    """Maps offsets of a derived text back to the original's line and column."""

    def __init__(self, original: str, origin: array[int] | None) -> None:
        self.origin = origin
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", original)]

    def line_col(self, offset: int) -> tuple[int, int]:
        if self.origin is not None:
            offset = self.origin[min(max(offset, 0), len(self.origin) - 1)]
        line = bisect_right(self.line_starts, offset)
        return line, offset - self.line_starts[line - 1] + 1


_LINE_END = re.compile(r"\n|\r|&#(?:10|13|x0*[aAdD]);")
_QUOTES = ('"', "&quot;")  # raw (`rawxml`) and escaped (`xml`) spellings of a C# string delimiter
_CHAR_LITERAL = re.compile(r"(?:'|&apos;)(?:\\u[0-9a-fA-F]{4}|\\.|[^'\\\n&]|&[a-z]+;)(?:'|&apos;)")


def _quote_at(text: str, i: int) -> str:
    """The string delimiter at `i` (`"` or `&quot;`), or ""."""
    if text.startswith('"', i):
        return '"'
    return "&quot;" if text.startswith("&quot;", i) else ""


def _literal_start(text: str, i: int) -> bool:
    """Whether a C# string literal (`"`, `@"`, `$"`, `$@"`, `@$"`, raw or escaped) starts at `i`."""
    j = i
    while j < i + 2 and j < len(text) and text[j] in "@$":
        j += 1
    return bool(_quote_at(text, j))


def _skip(text: str, i: int) -> int:
    """Index past a literal or comment at `i`; `i` itself when none starts there; -1 if it never ends."""
    c = text[i]
    if c in '"@$&' and _literal_start(text, i):
        return _string_end(text, i)
    if c == "'" or text.startswith("&apos;", i):
        m = _CHAR_LITERAL.match(text, i)
        return m.end() if m else i
    if text.startswith("//", i):  # to the end of the line, written raw or as a character reference
        m = _LINE_END.search(text, i)
        return m.start() if m else len(text)
    if text.startswith("/*", i):
        end = text.find("*/", i + 2)
        return -1 if end < 0 else end + 2
    return i


def expression_end(text: str, start: int) -> int:
    """Index just past the `)`/`}` closing the expression whose `@` is at `start`; -1 if unbalanced."""
    closers = {"(": ")", "{": "}", "[": "]"}
    stack: list[str] = []
    i, n = start + 1, len(text)
    while i < n:
        skipped = _skip(text, i)
        if skipped < 0:
            return -1
        if skipped != i:
            i = skipped
            continue
        c = text[i]
        if c in closers:
            stack.append(closers[c])
        elif c in ")}]":
            if not stack or stack.pop() != c:
                return -1
            if not stack:
                return i + 1
        i += 1
    return -1


def _string_end(text: str, i: int) -> int:
    """Index past a C# string literal starting at `i` (`"…"`, `@"…"`, `$"…"`, `$@"…"`, `@$"…"`)."""
    prefix = ""
    while text[i] in "@$":
        prefix += text[i]
        i += 1
    quote = _quote_at(text, i)
    verbatim, interpolated = "@" in prefix, "$" in prefix
    i += len(quote)
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\" and not verbatim:
            i += 1 + len(_quote_at(text, i + 1) or "x")
            continue
        if text.startswith(quote, i):
            if verbatim and text.startswith(quote, i + len(quote)):
                i += 2 * len(quote)
                continue
            return i + len(quote)
        if interpolated and c == "{":
            if text.startswith("{", i + 1):
                i += 2
                continue
            end = _hole_end(text, i)
            if end < 0:
                return -1
            i = end
            continue
        i += 1
    return -1


def _hole_end(text: str, i: int) -> int:
    """Index past an interpolation hole `{…}` (which may hold strings and nested braces)."""
    depth, n = 0, len(text)
    while i < n:
        skipped = _skip(text, i)
        if skipped < 0:
            return -1
        if skipped != i:
            i = skipped
            continue
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


class _Prepass:
    """Builds the escaped text and, for each of its characters, the offset it came from."""

    def __init__(self, text: str, positions: _Positions) -> None:
        self.text = text
        self.positions = positions
        self.out: list[str] = []
        self.origin = array("i")
        self.changed = False

    def copy(self, start: int, end: int) -> None:
        self.out.append(self.text[start:end])
        self.origin.extend(range(start, end))

    def escape(self, start: int, end: int, *, attribute: bool = False) -> None:
        """Copy an expression body, escaping what XML would misread (existing entities are kept). In an attribute,
        line breaks and tabs become character references: XML would otherwise normalize them to spaces, and a
        `// comment` would swallow the rest of the expression."""
        i = start
        t = self.text
        escapes = _ATTRIBUTE_ESCAPES if attribute else _ESCAPES
        while i < end:
            c = t[i]
            if c == "&":
                m = _ENTITY.match(t, i)
                if m and m.end() <= end:
                    self.copy(i, m.end())
                    i = m.end()
                    continue
                rep = "&amp;"
            else:
                rep = escapes.get(c, "")
            if rep:
                self.changed = True
                self.out.append(rep)
                self.origin.extend([i] * len(rep))
            else:
                self.out.append(c)
                self.origin.append(i)
            i += 1

    def expression(self, at: int, *, attribute: bool = False) -> int:
        end = expression_end(self.text, at)
        if end < 0:
            line, col = self.positions.line_col(at)
            raise ValidationError(
                "The policy expression is not closed (unbalanced brackets or quotes)", None, line, col
            )
        self.escape(at, end, attribute=attribute)
        return end

    def run(self) -> tuple[str, array[int]]:
        t, n, i = self.text, len(self.text), 0
        while i < n:
            lt = t.find("<", i)
            if lt < 0:
                lt = n
            # element text: an expression at its start may contain '<'
            j = i
            while j < lt and t[j] in " \t\r\n":
                j += 1
            if j < lt and t.startswith(("@(", "@{"), j):
                self.copy(i, j)
                i = self.expression(j)
                continue
            self.copy(i, lt)
            if lt >= n:
                break
            i = self._markup(lt)
        self.origin.append(n)
        return "".join(self.out), self.origin

    def _markup(self, i: int) -> int:
        t = self.text
        for opener, closer in (("<!--", "-->"), ("<![CDATA[", "]]>"), ("<?", "?>"), ("<!", ">")):
            if t.startswith(opener, i):
                end = t.find(closer, i + len(opener))
                end = len(t) if end < 0 else end + len(closer)
                self.copy(i, end)
                return end
        return self._tag(i)

    def _tag(self, i: int) -> int:
        """Copy a start or end tag, pre-passing attribute values that are expressions."""
        t, n = self.text, len(self.text)
        j = i + 1
        while j < n and t[j] not in ">":
            c = t[j]
            if c in "\"'":
                self.copy(i, j + 1)
                value = j + 1
                if t.startswith(("@(", "@{"), value):
                    k = self.expression(value, attribute=True)
                    # anything between the expression's end and the closing quote is copied as is
                    close = t.find(c, k)
                    close = n - 1 if close < 0 else close
                    self.copy(k, close)
                else:
                    close = t.find(c, value)
                    close = n - 1 if close < 0 else close
                    self.copy(value, close)
                i, j = close, close + 1
                continue
            j += 1
        end = min(j + 1, n)
        self.copy(i, end)
        return end


class _Unescape(_Prepass):
    """The reverse pass: expression bodies lose their XML escaping (`&quot;` → `"`, `&lt;` → `<`, ...)."""

    def escape(self, start: int, end: int, *, attribute: bool = False) -> None:
        body = self.text[start:end]
        plain = _ENTITY.sub(lambda m: _entity_text(m.group(0)), body)
        self.changed = self.changed or plain != body
        self.out.append(plain)


def _entity_text(entity: str) -> str:
    name = entity[1:-1]
    if name.startswith("#x"):
        return chr(int(name[2:], 16))
    if name.startswith("#"):
        return chr(int(name[1:]))
    return {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}[name]


def to_xml(text: str) -> str:
    """A policy document in APIM's `xml` format: expression bodies XML-escaped, everything else as written."""
    return _Prepass(text, _Positions(text, None)).run()[0]


def to_rawxml(text: str) -> str:
    """A policy document in APIM's `rawxml` format: expression bodies as C# reads them, everything else as written."""
    return _Unescape(text, _Positions(text, None)).run()[0]


def parse_document(text: str, origin: array[int] | None = None, original: str | None = None) -> Element:
    """Parse policy text (raw or escaped) into its root `Element`; malformed text -> ValidationError.

    `origin`/`original` let a caller that already rewrote the text (named values) report positions in the
    text as the user wrote it.
    """
    positions = _Positions(original if original is not None else text, origin)
    pre = _Prepass(text, positions)
    escaped, pre_origin = pre.run()
    if origin is not None:
        pre_origin = array("i", (origin[min(o, len(origin) - 1)] for o in pre_origin))
    final = _Positions(original if original is not None else text, pre_origin)
    return _Builder(escaped, final).parse()


class _Builder:
    """Runs expat over the escaped text and builds the Element tree with original positions."""

    def __init__(self, text: str, positions: _Positions) -> None:
        self.text = text
        self.data = text.encode("utf-8")
        self.ascii = len(self.data) == len(text)
        self.positions = positions
        self.stack: list[
            tuple[str, dict[str, str], list[Element], list[str], int, int, dict[str, tuple[int, int]]]
        ] = []
        self.root: Element | None = None
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.ordered_attributes = False
        self.parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.chars
        self.parser.StartDoctypeDeclHandler = self.refuse_dtd
        self.parser.EntityDeclHandler = self.refuse_entity
        self.parser.ExternalEntityRefHandler = self.refuse_external
        self.parser.UnparsedEntityDeclHandler = self.refuse_entity

    def char_offset(self, byte_index: int) -> int:
        return byte_index if self.ascii else len(self.data[:byte_index].decode("utf-8", errors="ignore"))

    def here(self) -> tuple[int, int]:
        return self.positions.line_col(self.char_offset(self.parser.CurrentByteIndex))

    def refuse_dtd(self, *args: object) -> None:
        line, col = self.here()
        raise ValidationError("DTDs are not allowed in policy documents", None, line, col)

    def refuse_entity(self, *args: object) -> None:
        line, col = self.here()
        raise ValidationError("Entity declarations are not allowed in policy documents", None, line, col)

    def refuse_external(self, *args: object) -> int:
        line, col = self.here()
        raise ValidationError("External entities are not allowed in policy documents", None, line, col)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        offset = self.char_offset(self.parser.CurrentByteIndex)
        line, col = self.positions.line_col(offset)
        self.stack.append((name, attrs, [], [], line, col, self._attr_positions(offset, attrs)))

    def _attr_positions(self, offset: int, attrs: dict[str, str]) -> dict[str, tuple[int, int]]:
        if not attrs:
            return {}
        found: dict[str, tuple[int, int]] = {}
        tag_end = self.text.find(">", offset)
        for m in re.finditer(r"([\w:.-]+)\s*=\s*[\"']", self.text[offset : tag_end if tag_end > 0 else None]):
            if m.group(1) in attrs and m.group(1) not in found:
                found[m.group(1)] = self.positions.line_col(offset + m.end())  # the value's first character
        return found

    def end(self, name: str) -> None:
        name, attrs, children, texts, line, col, attr_pos = self.stack.pop()
        element = Element(name, attrs, tuple(children), "".join(texts).strip(), line, col, attr_pos)
        if self.stack:
            self.stack[-1][2].append(element)
        else:
            self.root = element

    def chars(self, data: str) -> None:
        if self.stack:
            self.stack[-1][3].append(data)

    def parse(self) -> Element:
        try:
            self.parser.Parse(self.data, True)
        except expat.ExpatError as exc:
            line, col = self.positions.line_col(self.char_offset(self.parser.ErrorByteIndex))
            message = expat.ErrorString(exc.code) if exc.code else str(exc)
            raise ValidationError(f"The policy document is not well-formed XML: {message}", None, line, col) from None
        if self.root is None:
            raise ValidationError("The policy document is empty", None, 1, 1)
        return self.root
