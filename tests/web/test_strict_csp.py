"""Every template, and every piece of HTML written in Python, fits the site's strict
Content-Security-Policy (`script-src 'self'; style-src 'self'`, openpolicy/api/gate.py):
no inline `<script>`, no `<style>` element, no `style=` attribute, no inline event handler.
The browser would refuse them; read from the source, so a template no page test renders yet
is held to it too."""

from __future__ import annotations

import re
from pathlib import Path

import openpolicy.web

WEB = Path(openpolicy.web.__file__).resolve().parent
TEMPLATES = sorted(
    path for path in (WEB / "templates").rglob("*") if path.suffix in {".html", ".xml"}
)
HTML_IN_PYTHON = sorted(WEB.rglob("*.py"))

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[a-zA-Z][^<>]*\sstyle\s*=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-zA-Z][^<>]*\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)
RULES = {
    "inline <script>": INLINE_SCRIPT,
    "<style> element": STYLE_ELEMENT,
    "style= attribute": STYLE_ATTRIBUTE,
    "inline event handler": EVENT_HANDLER,
    "javascript: URL": JAVASCRIPT_URL,
}


def _offences(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    found = []
    for name, pattern in RULES.items():
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{path.relative_to(WEB)}:{line}: {name}")
    return found


def test_templates_need_no_inline_script_or_style() -> None:
    assert TEMPLATES, "no templates found"
    offences = [offence for path in TEMPLATES for offence in _offences(path)]
    assert offences == []


def test_html_written_in_python_needs_no_inline_script_or_style() -> None:
    offences = [offence for path in HTML_IN_PYTHON for offence in _offences(path)]
    assert offences == []


def test_the_rules_catch_what_they_look_for() -> None:
    refused = [
        "<script>alert(1)</script>",
        '<span style="color: red">',
        '<button type="button" onclick="go()">',
        "<style>p { color: red }</style>",
        '<a href="javascript:go()">',
    ]
    allowed = [
        '<script src="/static/site.js"></script>',
        '<span class="party party-lib">',
        '<link rel="stylesheet" href="/static/site.css">',
        '<rect width="6" height="6" fill="#ffffff"/>',
    ]
    for sample in refused:
        assert any(p.search(sample) for p in RULES.values()), sample
    for sample in allowed:
        assert not any(p.search(sample) for p in RULES.values()), sample
