"""Every UI string has a French translation, and the compiled catalogues match the .po files."""

from __future__ import annotations

import io

from babel.messages.mofile import read_mo

from openpolicy.web import catalogue
from openpolicy.web.i18n import LANGUAGES


def test_extraction_sees_templates_and_python_labels() -> None:
    used = {message.id for message in catalogue.extract() if message.id}
    assert "Skip to main content" in used  # templates/base.html
    assert "Negatived" in used  # labels.py, marked with N_()
    assert "Ballots by party" in used  # pages_votes.py, translate(lang, …)
    assert ("%(num)s speech", "%(num)s speeches") in used  # ngettext in a template


def test_every_ui_string_has_a_french_translation_and_is_compiled() -> None:
    assert catalogue.check() == []


def test_catalogues_hold_every_used_string() -> None:
    used = {message.id for message in catalogue.extract() if message.id}
    for lang in LANGUAGES:
        known = {message.id for message in catalogue.read_catalogue(lang) if message.id}
        assert used <= known, lang


def test_compiled_french_catalogue_is_the_po_file() -> None:
    on_disk = read_mo(io.BytesIO(catalogue.mo_path("fr").read_bytes()))
    fresh = read_mo(io.BytesIO(catalogue.compiled("fr")))
    on_disk_bills, fresh_bills = on_disk.get("Bills"), fresh.get("Bills")
    assert on_disk_bills is not None and fresh_bills is not None
    assert on_disk_bills.string == fresh_bills.string == "Projets de loi"
    assert len(on_disk) == len(fresh)
