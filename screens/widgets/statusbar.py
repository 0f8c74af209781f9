"""The status bar: library and branch, who is signed in, sync state, the local clock."""

from __future__ import annotations

from dataclasses import dataclass

from textual.reactive import reactive
from textual.widgets import Static

from countylib.i18n import _, format_date


@dataclass(frozen=True)
class Status:
    library: str
    branch: str
    user: str
    role: str
    sync: str
    clock: str


class StatusBar(Static):
    """Shows a Status the app provides; refreshed on a timer by the app."""

    DEFAULT_CSS = """
    StatusBar {
        dock: top;
        height: 1;
        background: $primary;
        color: $text;
        padding: 0 1;
    }
    """

    status: reactive[Status | None] = reactive(None)

    def watch_status(self, status: Status | None) -> None:
        if status is None:
            self.update("")
            return
        self.update(
            f"{status.library} · {status.branch}  │  {status.user} ({status.role})  │  {status.sync}  │  {status.clock}"
        )


def describe_clock(local_now) -> str:
    return f"{format_date(local_now.date())} {local_now:%H:%M}"


def describe_sync(pending: int, enrolled: bool) -> str:
    if not enrolled:
        return _("Sync: not connected to a hub · {n} waiting").format(n=pending)
    return _("Sync: {n} waiting").format(n=pending)
