"""The one notification rule of the command line (docs/cli.md#notices)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from openpolicy.cli_output import stderr, styled

if TYPE_CHECKING:
    from openpolicy.config import Settings


def send_if_asked(settings: Settings, notice: Any, enabled: bool) -> None:
    """The one rule: notices go out only when asked for; asked with no channel, exit 2.

    The command's own change (the switch, the incident) is made first, so the error only says
    what is still missing.
    """
    from openpolicy.ops import notify
    from openpolicy.ops.notify import NotificationError, NotificationNotConfiguredError

    if not enabled:
        return
    if not notify.configured_channels(settings):
        raise NotificationNotConfiguredError(
            "notice not sent: no notification channel is configured "
            "(set OPENPOLICY_NOTIFICATION_CHANNELS=email,webhook, or leave out --notify)"
        )
    results = notify.send(settings, notice)
    for result in results:
        mark = styled("sent", "green") if result.ok else styled("FAILED", "red")
        stderr().print(
            f"notice via {result.channel}: ", mark, f": {result.detail}", sep="", soft_wrap=True
        )
    failed = [r for r in results if not r.ok]
    if failed:
        raise NotificationError(
            "notification failed on " + ", ".join(f"{r.channel} ({r.detail})" for r in failed)
        )


NotifyFlag = Annotated[
    bool,
    typer.Option(
        "--notify/--no-notify",
        help="Send the notice to the configured channels (exit 2 when none is configured).",
    ),
]
