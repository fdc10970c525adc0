"""Finds the C# expressions (`@(...)`, `@{...}`) in raw policy text, skipping C# string and char literals."""

from __future__ import annotations

import re
from pathlib import Path
from xml.sax.saxutils import unescape

from defusedxml import ElementTree

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "apim"
_NAMED = re.compile(r"\{\{([^{}]+)\}\}")


def _skip_literal(text: str, i: int) -> int:
    """Returns the index just past the C# literal starting at i (a string or char), or i when none starts there."""
    n = len(text)
    verbatim = interp = False
    j = i
    while j < n and text[j] in "$@" and j - i < 2:
        verbatim |= text[j] == "@"
        interp |= text[j] == "$"
        j += 1
    if j >= n or text[j] not in "\"'":
        return i
    quote = text[j]
    j += 1
    depth = 0
    while j < n:
        c = text[j]
        if verbatim and c == '"':
            if j + 1 < n and text[j + 1] == '"':
                j += 2
                continue
            if depth == 0:
                return j + 1
        elif not verbatim and c == "\\":
            j += 2
            continue
        elif c == quote and depth == 0:
            return j + 1
        elif interp and c == "{":
            if j + 1 < n and text[j + 1] == "{" and depth == 0:
                j += 2
                continue
            depth += 1
        elif interp and c == "}" and depth:
            depth -= 1
        elif interp and depth and c in "\"'":
            k = _skip_literal(text, j)
            j = k if k > j else j + 1
            continue
        elif c == "\n" and not verbatim and quote == "'":
            return j
        j += 1
    return n


def expressions(text: str) -> list[str]:
    """Every top-level `@(...)` / `@{...}` in text, as written."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n - 1:
        if text[i] == "@" and text[i + 1] in "({":
            open_, close = text[i + 1], ")" if text[i + 1] == "(" else "}"
            depth, j = 0, i + 1
            while j < n:
                k = _skip_literal(text, j)
                if k > j:
                    j = k
                    continue
                # a comment's brackets do not count (`// 1) Construct the header`)
                if text.startswith("//", j):
                    j = text.find("\n", j) if "\n" in text[j:] else n
                    continue
                if text.startswith("/*", j):
                    end = text.find("*/", j + 2)
                    j = n if end < 0 else end + 2
                    continue
                c = text[j]
                if c in "({[":
                    depth += 1
                elif c in ")}]":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if j < n and text[j] == close:
                out.append(text[i : j + 1])
                i = j + 1
                continue
            del open_
        i += 1
    return out


def substitute(expr: str) -> str:
    """Replaces `{{name}}` with a plausible literal: its name inside a string literal, else the number 1."""

    def repl(m: re.Match[str]) -> str:
        inside_string = expr[: m.start()].count('"') % 2 == 1
        return m.group(1) if inside_string else "1"

    return _NAMED.sub(repl, expr)


def _document_expressions(text: str) -> list[str]:
    """Scans the raw text; in a well-formed document the expressions' entities are then decoded.

    Not ElementTree's attribute values: XML normalizes newlines in attributes to spaces, which would turn
    a `// comment` line into a comment swallowing the rest of an `@{...}` block.
    """
    found = expressions(re.sub(r"<!--.*?-->", "", text, flags=re.S))
    try:
        ElementTree.fromstring(text)
    except ElementTree.ParseError:
        return found
    return [unescape(e, {"&quot;": '"', "&apos;": "'"}) for e in found]


def corpus_expressions() -> list[tuple[str, str]]:
    """(relative file, expression) for every expression in the corpus."""
    out = []
    for path in sorted(CORPUS.rglob("*.xml")):
        text = path.read_text(encoding="utf-8-sig", errors="replace")
        for e in _document_expressions(text):
            out.append((str(path.relative_to(CORPUS)), e))
    return out
