"""The small safe markup of Hansard text, shared by the parser, the API and the site.

Stored items keep, beside their plain paragraphs, a fragment in a closed vocabulary (built
by ``openpolicy.sources.hansard_markup`` from escaped text):

* blocks: ``<p>``, ``<blockquote>`` (holding ``<p>``);
* inline: ``<em>``, ``<strong>``, ``<sup>``, ``<sub>``;
* markers, as printed: ``<p class="floor" data-floor="fr">[<em>Translation</em>]</p>``
  (the language spoken from there on) and ``<p class="time" data-time="10:40">(1040)</p>``.

No other tag or attribute ever appears. ``markup_is_safe`` checks a fragment against that
vocabulary: the read side checks a stored fragment before it serves it as markup.
"""

from __future__ import annotations

import html
import re

SAFE_TAGS = frozenset({"p", "blockquote", "em", "strong", "sup", "sub"})
_TAG = re.compile(r"<(/?)([a-z]+)((?:\s+[a-z-]+=\"[^\"<>]*\")*)\s*>")
_ATTRIBUTE = re.compile(r"\s+([a-z-]+)=\"([^\"<>]*)\"")
_SAFE_ATTRIBUTES: dict[str, frozenset[str] | None] = {
    "class": frozenset({"floor", "time"}),
    "data-floor": None,
    "data-time": None,
}
PARAGRAPH_BREAK = "\n\n"  # between the paragraphs of a stored text


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def paragraphs_html(texts: tuple[str, ...] | list[str]) -> str:
    """The markup of paragraphs that carry no markup of their own."""
    return "".join(f"<p>{escape(text)}</p>" for text in texts)


def markup_is_safe(fragment: str) -> bool:
    """Whether ``fragment`` uses only the closed vocabulary above (and is balanced)."""
    stack: list[str] = []
    position = 0
    for match in re.finditer(r"<[^>]*>", fragment):
        if "<" in fragment[position : match.start()] or ">" in fragment[position : match.start()]:
            return False
        position = match.end()
        tag = _TAG.fullmatch(match.group(0))
        if tag is None:
            return False
        closing, name, attributes = tag.groups()
        if name not in SAFE_TAGS:
            return False
        if closing:
            if attributes or not stack or stack.pop() != name:
                return False
            continue
        for attribute, value in _ATTRIBUTE.findall(attributes):
            if attribute not in _SAFE_ATTRIBUTES:
                return False
            allowed = _SAFE_ATTRIBUTES[attribute]
            if allowed is not None and value not in allowed:
                return False
            if not re.fullmatch(r"[a-z0-9:]*", value):
                return False
        stack.append(name)
    rest = fragment[position:]
    return not stack and "<" not in rest and ">" not in rest


def item_html(stored: str | None, text: str | None) -> str | None:
    """What an item says, as markup: the stored fragment when it is safe, else its plain
    paragraphs escaped (stored items keep a fragment only where it says more than them)."""
    if stored and markup_is_safe(stored):
        return stored
    if not text:
        return None
    return paragraphs_html(text.split(PARAGRAPH_BREAK))
