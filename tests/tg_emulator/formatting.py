"""Telegram text formatting, as far as the emulator needs it.

Parses ``parse_mode`` text (HTML, MarkdownV2, legacy Markdown) into plain text plus
``MessageEntity`` dicts, with offsets/lengths in UTF-16 code units like the real Bot API,
and raises :class:`EntityParseError` (mapped to ``400 Bad Request: can't parse entities: ...``)
for the mistakes Telegram rejects.

HTML is checked *strictly* by default: besides unsupported / badly nested / unclosed tags,
a bare ``&`` that does not start ``&lt; &gt; &amp; &quot;`` or a numeric entity, and a bare
``>``, are rejected as the Bot API documentation requires.  (The real server, tdlib, is a
little more lenient there: it keeps an unknown ``&name;`` or a lone ``>`` as literal text.
Pass ``strict=False`` to get that behaviour.)
"""

from __future__ import annotations

import re

__all__ = [
    "EntityParseError",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
    "parse_text",
    "utf16_len",
]


class EntityParseError(ValueError):
    """The text cannot be parsed in the given parse mode."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (what Telegram's entity offsets count)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _byte_offset(src: str, index: int) -> int:
    return len(src[:index].encode("utf-8", "surrogatepass"))


def _sorted(entities: list[dict]) -> list[dict]:
    return sorted(
        (e for e in entities if e["length"] > 0), key=lambda e: (e["offset"], -e["length"])
    )


class _Out:
    """Accumulates plain text and tracks the UTF-16 position."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos16 = 0
        self.n = 0

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.pos16 += utf16_len(text)
        self.n += len(text)

    def text(self) -> str:
        return "".join(self.parts)


# --------------------------------------------------------------------------- HTML

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(#[xX][0-9a-fA-F]+|#[0-9]+|[a-zA-Z][a-zA-Z0-9]*);")
_NAME_CHARS = re.compile(r"[a-zA-Z0-9\-]*")
_ATTR_NAME = re.compile(r"[a-zA-Z0-9\-_]*")


def _decode_entity(src: str, i: int) -> tuple[str, int] | None:
    m = _ENTITY_RE.match(src, i)
    if not m:
        return None
    body = m.group(1)
    if body[0] == "#":
        code = int(body[2:], 16) if body[1] in "xX" else int(body[1:])
        if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code), m.end()
    if body in _HTML_NAMED:
        return _HTML_NAMED[body], m.end()
    return None


def _parse_attributes(src: str, i: int, tag: str, tag_off: int) -> tuple[dict[str, str], int]:
    """Parse attributes from ``src[i:]`` up to and including the closing ``>``."""
    attrs: dict[str, str] = {}
    n = len(src)
    while True:
        while i < n and src[i].isspace():
            i += 1
        if i >= n:
            raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {tag_off}')
        if src[i] == ">":
            return attrs, i + 1
        m = _ATTR_NAME.match(src, i)
        name = m.group(0).lower() if m else ""
        if not name:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset {tag_off}'
            )
        i = m.end()
        while i < n and src[i].isspace():
            i += 1
        if i >= n:
            raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {tag_off}')
        if src[i] != "=":
            attrs[name] = ""
            continue
        i += 1
        while i < n and src[i].isspace():
            i += 1
        if i >= n:
            raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {tag_off}')
        if src[i] in "\"'":
            quote = src[i]
            end = src.find(quote, i + 1)
            if end < 0:
                raise EntityParseError(f"Unclosed start tag at byte offset {tag_off}")
            raw = src[i + 1 : end]
            i = end + 1
        else:
            m = re.compile(r"[^\s>]+").match(src, i)
            if not m:
                raise EntityParseError(f"Unexpected end of name token at byte offset {tag_off}")
            raw = m.group(0)
            i = m.end()
        attrs[name] = re.sub(
            r"&[^;]*;", lambda mm: (_decode_entity(mm.group(0), 0) or (mm.group(0),))[0], raw
        )


def parse_html(src: str, *, strict: bool = True) -> tuple[str, list[dict]]:
    out = _Out()
    entities: list[dict] = []
    # stack items: (tag, entity dict, attrs)
    stack: list[tuple[str, dict, dict[str, str]]] = []
    i, n = 0, len(src)
    while i < n:
        ch = src[i]
        if ch == "<":
            off = _byte_offset(src, i)
            if src.startswith("</", i):
                end = src.find(">", i)
                if not stack:
                    raise EntityParseError(f"Unexpected end tag at byte offset {off}")
                if end < 0:
                    raise EntityParseError(f"Unclosed end tag at byte offset {off}")
                name = src[i + 2 : end].strip().lower()
                tag, entity, attrs = stack.pop()
                if name and name != tag:
                    raise EntityParseError(
                        f'Unmatched end tag at byte offset {off}, expected "</{tag}>", '
                        f'found "</{name}>"'
                    )
                i = end + 1
                entity["length"] = out.pos16 - entity["offset"]
                py_start = entity.pop("_py_start")
                if entity["type"] == "text_link" and not entity.get("url"):
                    entity["url"] = out.text()[py_start:]
                if (
                    tag == "code"
                    and stack
                    and stack[-1][0] == "pre"
                    and attrs.get("class", "").startswith("language-")
                ):
                    stack[-1][1]["language"] = attrs["class"][len("language-") :]
                    continue
                entities.append(entity)
                continue
            m = _NAME_CHARS.match(src, i + 1)
            name = m.group(0).lower() if m else ""
            if not name or name not in _HTML_TAGS:
                shown = name or src[i + 1 : i + 2].strip()
                raise EntityParseError(f'Unsupported start tag "{shown}" at byte offset {off}')
            attrs, i = _parse_attributes(src, m.end(), name, off)
            kind = _HTML_TAGS[name]
            entity: dict = {"type": kind, "offset": out.pos16, "length": 0}
            entity["_py_start"] = out.n
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {off}'
                )
            if name == "a":
                entity["url"] = attrs.get("href", "")
            elif name == "tg-emoji":
                if not attrs.get("emoji-id", "").isdigit():
                    raise EntityParseError(
                        "Custom emoji entity must contain a valid custom emoji identifier"
                    )
                entity["custom_emoji_id"] = attrs["emoji-id"]
            elif name == "blockquote" and "expandable" in attrs:
                entity["type"] = "expandable_blockquote"
            stack.append((name, entity, attrs))
        elif ch == "&":
            decoded = _decode_entity(src, i)
            if decoded is not None:
                out.add(decoded[0])
                i = decoded[1]
                continue
            if strict:
                raise EntityParseError(
                    f"Character '&' at byte offset {_byte_offset(src, i)} is not part of a "
                    "supported HTML entity; escape it as &amp;"
                )
            out.add("&")
            i += 1
        elif ch == ">" and strict:
            raise EntityParseError(
                f"Character '>' at byte offset {_byte_offset(src, i)} must be escaped as &gt;"
            )
        else:
            j = i + 1
            while j < n and src[j] not in "<&>":
                j += 1
            out.add(src[i:j])
            i = j
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.text(), _sorted(entities)


# --------------------------------------------------------------------------- MarkdownV2

_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")


def parse_markdown_v2(src: str) -> tuple[str, list[dict]]:
    out = _Out()
    entities: list[dict] = []
    # stack items: (marker, entity, byte offset of the marker)
    stack: list[tuple[str, dict, int]] = []
    quote: dict | None = None
    i, n = 0, len(src)
    at_line_start = True

    def reserved(k: int) -> EntityParseError:
        return EntityParseError(
            f"Character '{src[k]}' is reserved and must be escaped with the preceding '\\'"
        )

    while i < n:
        ch = src[i]
        if at_line_start:
            at_line_start = False
            is_quote = ch == ">" or src.startswith("**>", i)
            if is_quote:
                if quote is None:
                    kind = "expandable_blockquote" if ch == "*" else "blockquote"
                    quote = {"type": kind, "offset": out.pos16, "length": 0}
                i += 1 if ch == ">" else 3
                continue
            if quote is not None:
                quote["length"] = out.pos16 - quote["offset"]
                if quote["length"] and out.text().endswith("\n"):
                    quote["length"] -= 1
                entities.append(quote)
                quote = None
        if ch == "\\":
            if i + 1 < n and 0 < ord(src[i + 1]) <= 126:
                out.add(src[i + 1])
                at_line_start = src[i + 1] == "\n"
                i += 2
            else:
                out.add("\\")
                i += 1
            continue
        if ch == "\n":
            out.add(ch)
            at_line_start = True
            i += 1
            continue
        if ch not in _MDV2_RESERVED:
            out.add(ch)
            i += 1
            continue
        off = _byte_offset(src, i)
        if ch == "`":
            is_pre = src.startswith("```", i)
            j = i + (3 if is_pre else 1)
            language = ""
            if is_pre:
                nl = src.find("\n", j)
                close = src.find("```", j)
                if nl >= 0 and (close < 0 or nl < close):
                    language = src[j:nl].strip()
                    j = nl + 1
            start16 = out.pos16
            while True:
                if j >= n:
                    raise EntityParseError(
                        f"Can't find end of {'Pre' if is_pre else 'Code'} entity at byte "
                        f"offset {off}"
                    )
                if src[j] == "\\" and j + 1 < n and src[j + 1] in "`\\":
                    out.add(src[j + 1])
                    j += 2
                    continue
                if src.startswith("```" if is_pre else "`", j):
                    break
                out.add(src[j])
                j += 1
            entity = {"type": "pre" if is_pre else "code", "offset": start16, "length": 0}
            entity["length"] = out.pos16 - start16
            if language:
                entity["language"] = language
            entities.append(entity)
            i = j + (3 if is_pre else 1)
            continue
        if ch == "[" or (ch == "!" and src.startswith("![", i)):
            kind = "custom_emoji" if ch == "!" else "text_link"
            stack.append(("[", {"type": kind, "offset": out.pos16, "length": 0}, off))
            i += 2 if ch == "!" else 1
            continue
        if ch == "]":
            if not stack or stack[-1][0] != "[":
                raise reserved(i)
            _, entity, _ = stack.pop()
            if not src.startswith("(", i + 1):
                raise EntityParseError(f"Can't find end of a URL at byte offset {off}")
            j, url = i + 2, []
            while True:
                if j >= n:
                    raise EntityParseError(f"Can't find end of a URL at byte offset {off}")
                if src[j] == "\\" and j + 1 < n and src[j + 1] in ")\\":
                    url.append(src[j + 1])
                    j += 2
                    continue
                if src[j] == ")":
                    break
                url.append(src[j])
                j += 1
            entity["length"] = out.pos16 - entity["offset"]
            target = "".join(url)
            if entity["type"] == "custom_emoji":
                m = re.fullmatch(r"tg://emoji\?id=(\d+)", target)
                if not m:
                    raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
                entity["custom_emoji_id"] = m.group(1)
            else:
                entity["url"] = target
            entities.append(entity)
            i = j + 1
            continue
        marker = None
        if ch == "*":
            marker, kind = "*", "bold"
        elif ch == "~":
            marker, kind = "~", "strikethrough"
        elif ch == "_":
            marker, kind = ("__", "underline") if src.startswith("__", i) else ("_", "italic")
        elif ch == "|" and src.startswith("||", i):
            marker, kind = "||", "spoiler"
        if marker is None:
            raise reserved(i)
        open_idx = next((k for k in range(len(stack)) if stack[k][0] == marker), None)
        if open_idx is None:
            stack.append((marker, {"type": kind, "offset": out.pos16, "length": 0}, off))
        else:
            if open_idx != len(stack) - 1:
                raise EntityParseError(
                    f"Can't find end of {stack[-1][1]['type'].capitalize()} entity at byte "
                    f"offset {stack[-1][2]}"
                )
            _, entity, _ = stack.pop()
            entity["length"] = out.pos16 - entity["offset"]
            entities.append(entity)
        i += len(marker)
    if stack:
        marker, entity, off = stack[-1]
        raise EntityParseError(
            f"Can't find end of {entity['type'].capitalize()} entity at byte offset {off}"
        )
    if quote is not None:
        quote["length"] = out.pos16 - quote["offset"]
        entities.append(quote)
    return out.text(), _sorted(entities)


# --------------------------------------------------------------------------- legacy Markdown

_MD_MARKERS = {"*": "bold", "_": "italic", "`": "code"}


def parse_markdown(src: str) -> tuple[str, list[dict]]:
    out = _Out()
    entities: list[dict] = []
    i, n = 0, len(src)
    while i < n:
        ch = src[i]
        if ch == "\\" and i + 1 < n and src[i + 1] in "_*`[":
            out.add(src[i + 1])
            i += 2
            continue
        if ch not in "_*`[":
            out.add(ch)
            i += 1
            continue
        off = _byte_offset(src, i)
        start16 = out.pos16
        if ch == "[":
            close = src.find("]", i + 1)
            if close < 0:
                raise EntityParseError(
                    f"Can't find end of the entity starting at byte offset {off}"
                )
            label = src[i + 1 : close]
            out.add(label)
            i = close + 1
            if src.startswith("(", i):
                end = src.find(")", i)
                if end < 0:
                    raise EntityParseError(
                        f"Can't find end of the entity starting at byte offset {off}"
                    )
                entities.append(
                    {
                        "type": "text_link",
                        "offset": start16,
                        "length": out.pos16 - start16,
                        "url": src[i + 1 : end],
                    }
                )
                i = end + 1
            continue
        kind = _MD_MARKERS[ch]
        marker = "```" if src.startswith("```", i) else ch
        if marker == "```":
            kind = "pre"
        end = src.find(marker, i + len(marker))
        if end < 0:
            raise EntityParseError(f"Can't find end of the entity starting at byte offset {off}")
        inner = src[i + len(marker) : end]
        entity = {"type": kind, "offset": start16, "length": 0}
        if kind == "pre" and "\n" in inner:
            first, rest = inner.split("\n", 1)
            if first and " " not in first.strip():
                entity["language"] = first.strip()
                inner = rest
        out.add(inner)
        entity["length"] = out.pos16 - start16
        entities.append(entity)
        i = end + len(marker)
    return out.text(), _sorted(entities)


def parse_text(text: str, parse_mode: str | None, *, strict_html: bool = True):
    """Return ``(plain_text, entities)`` for ``text`` in ``parse_mode`` (case-insensitive)."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return parse_html(text, strict=strict_html)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    if mode:
        raise EntityParseError(f"Unsupported parse_mode {parse_mode!r}")
    return text, []
