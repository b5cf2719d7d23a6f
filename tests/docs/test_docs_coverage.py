"""The docs stay true: every setting and every command is documented where operators look."""

from __future__ import annotations

from pathlib import Path

from openpolicy.cli import app
from openpolicy.cli_reference import command_paths, reference_markdown
from openpolicy.config import Settings, env_template, env_variable, settings_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_env_example_documents_every_setting() -> None:
    """`.env.example` is exactly what `openpolicy settings --template` prints."""
    assert (ROOT / ".env.example").read_text() == env_template()
    example = (ROOT / ".env.example").read_text()
    for name in Settings.model_fields:
        assert f"{env_variable(name)}=" in example


def test_settings_doc_holds_the_reference_table() -> None:
    doc = (ROOT / "docs" / "settings.md").read_text()
    assert settings_markdown() in doc
    assert "`DATABASE_URL`" in doc and "`OPENPOLICY_ENV_FILE`" in doc


def test_no_secret_has_a_default() -> None:
    secrets = [
        name
        for name, field in Settings.model_fields.items()
        if "SecretStr" in str(field.annotation) and field.default is not None
    ]
    assert secrets == []
    assert "database_url" in Settings.model_fields  # the check above saw the settings


def test_cli_doc_holds_the_command_reference() -> None:
    """docs/cli.md carries exactly the table `openpolicy commands --markdown` prints."""
    doc = (ROOT / "docs" / "cli.md").read_text()
    assert reference_markdown(app) in doc
    missing = [path for path in command_paths(app) if f"`{path}`" not in doc]
    assert missing == []


def test_command_walk_finds_nested_groups() -> None:
    paths = command_paths(app)
    assert "openpolicy db upgrade" in paths
    assert "openpolicy db downgrade" in paths
    assert "openpolicy up" in paths
    assert "openpolicy db" not in paths  # groups are not commands
