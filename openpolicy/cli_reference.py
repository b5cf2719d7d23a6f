"""The command reference, rendered from the CLI itself so docs/cli.md can never drift."""

from __future__ import annotations

from typing import Any

import typer
import typer.main


def subcommands(command: Any) -> dict[str, Any] | None:
    """A group's commands by name (lazy groups loaded), or None for a command."""
    if not hasattr(command, "list_commands"):  # a command, not a group (typer vendors click)
        return None
    context = typer.Context(command, info_name=command.name)
    found = {}
    for name in command.list_commands(context):
        sub = command.get_command(context, name)
        if sub is not None and not getattr(sub, "hidden", False):
            found[name] = sub
    return found


def _walk(command: Any, path: str) -> list[tuple[str, Any]]:
    children = subcommands(command)
    if not children:
        return [(path, command)]
    found: list[tuple[str, Any]] = []
    for name in sorted(children):
        found.extend(_walk(children[name], f"{path} {name}"))
    return found


def command_paths(app: typer.Typer) -> list[str]:
    """Every leaf command as operators type it, e.g. `openpolicy db upgrade`."""
    return [path for path, _ in _walk(typer.main.get_command(app), "openpolicy")]


def _usage(command: Any) -> str:
    parts: list[str] = []
    for param in command.params:
        if getattr(param, "hidden", False):
            continue
        if param.param_type_name == "argument":
            name = (param.name or "").upper()
            parts.append(name if param.required else f"[{name}]")
        else:
            flag = max(param.opts, key=len)
            value = flag.lstrip("-").upper().replace("-", "_")
            if getattr(param, "is_flag", False):
                parts.append(f"[{flag}]")
            elif param.required:
                parts.append(f"{flag} {value}")
            else:
                parts.append(f"[{flag} {value}]")
    return " ".join(parts)


def command_summaries(app: typer.Typer) -> list[dict[str, str]]:
    """Every command with its usage and the first line of its help (`commands --format json`)."""
    return [
        {"command": path, "usage": _usage(command), "summary": _summary(command)}
        for path, command in _walk(typer.main.get_command(app), "openpolicy")
    ]


def _summary(command: Any) -> str:
    return (command.help or "").strip().splitlines()[0] if command.help else ""


def reference_markdown(app: typer.Typer) -> str:
    """A Markdown table: command, usage, and the first line of its help."""
    rows = ["| command | arguments and options | what it does |", "|---|---|---|"]
    for path, command in _walk(typer.main.get_command(app), "openpolicy"):
        summary = _summary(command)
        usage = _usage(command).replace("|", "\\|")
        rows.append(f"| `{path}` | {('`' + usage + '`') if usage else ''} | {summary} |")
    return "\n".join(rows) + "\n"
