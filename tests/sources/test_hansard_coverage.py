"""Every word of every captured sitting reaches the records, and every line goes to the
person who said it (issue "Exactly as published")."""

from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from openpolicy.records import Speech
from openpolicy.sources.coverage import (
    hansard_coverage,
    paragraphs_opening_with_a_label,
    printed_labels,
    words,
)
from openpolicy.sources.hansard import pair_editions, parse_hansard
from openpolicy.vocab import Language

Read = Callable[[str], bytes]
CAPTURES = sorted(
    path.name for path in (Path(__file__).parents[1] / "fixtures" / "hansard").glob("*.xml")
)


def test_every_capture_is_measured() -> None:
    assert len(CAPTURES) >= 5


@pytest.mark.parametrize("name", CAPTURES)
def test_at_least_999_per_mille_of_the_words_reach_the_records(capture: Read, name: str) -> None:
    body = capture(f"hansard/{name}")
    records = list(parse_hansard(body, name))
    report = hansard_coverage(body, name, records)
    assert report.body_words > 5_000
    assert report.share >= 0.999, [gap.__dict__ for gap in report.gaps[:5]]
    # Time stamps and "[Translation]" markers are kept as data, every one of them.
    assert report.time_marks_kept == report.time_marks > 0
    assert report.floor_marks_kept == report.floor_marks > 0


@pytest.mark.parametrize("name", CAPTURES)
def test_no_paragraph_opens_with_a_speaker_label(capture: Read, name: str) -> None:
    body = capture(f"hansard/{name}")
    records = list(parse_hansard(body, name))
    root = etree.fromstring(body)
    labels = printed_labels(root)
    assert "The Speaker" in labels or "Le Président" in labels
    assert paragraphs_opening_with_a_label(records, labels) == []


def test_the_measure_sees_what_is_missing(capture: Read) -> None:
    """Dropping the written questions (as the old parser did) shows in the share and
    in the gaps; a paragraph left with its label is caught."""
    body = capture("hansard/HAN086-E-412.xml")
    records = list(parse_hansard(body, "u"))
    without = [r for r in records if r.kind != "written_question"]
    report = hansard_coverage(body, "u", without, gaps=3)
    assert report.share < 0.99
    assert report.gaps[0].words > 900
    assert "WrittenQuestionResponse" in report.gaps[0].where
    speech = next(r for r in records if isinstance(r, Speech) and r.text_en == ("Agreed.",))
    relabelled = speech.model_copy(update={"text_en": ("Some hon. members: Agreed.",)})
    found = paragraphs_opening_with_a_label([relabelled], printed_labels(etree.fromstring(body)))
    assert found and "Some hon. members: Agreed." in found[0]


def test_a_paired_sitting_keeps_both_editions(capture: Read) -> None:
    english = list(parse_hansard(capture("hansard/HAN002-E-421.xml"), "e"))
    french = list(parse_hansard(capture("hansard/HAN002-F-421.xml"), "f"))
    paired = list(pair_editions(english, french).records())
    for name, language in (("HAN002-E-421.xml", Language.EN), ("HAN002-F-421.xml", Language.FR)):
        report = hansard_coverage(capture(f"hansard/{name}"), name, paired, language=language)
        assert report.share >= 0.999, [gap.__dict__ for gap in report.gaps[:5]]
        assert report.floor_marks_kept == report.floor_marks


def test_words_are_compared_without_case_or_punctuation() -> None:
    assert words("Mr. Speaker, C‑2’s “bill”") == ["mr", "speaker", "c", "2", "s", "bill"]
