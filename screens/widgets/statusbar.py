"""The status bar: library and branch, who is signed in, sync state, the local clock."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.css.query import NoMatches
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
    warning: str = ""  # e.g. the local clock is far from the hub's


class StatusBar(Horizontal):
    """Shows a Status the app provides; refreshed on a timer by the app."""

    DEFAULT_CSS = """
    StatusBar {
        dock: top;
        height: 1;
        background: $primary;
        color: $text;
        padding: 0 1;
    }
    StatusBar #status-place { width: auto; text-style: bold; }
    StatusBar #status-user { width: auto; padding-left: 2; }
    StatusBar #status-sync { width: 1fr; padding-left: 2; text-wrap: nowrap; text-overflow: ellipsis; }
    StatusBar #status-warning { width: auto; color: $warning; text-style: bold; padding-right: 2; }
    StatusBar #status-clock { width: auto; }
    """

    status: reactive[Status | None] = reactive(None)

    def compose(self) -> ComposeResult:
        for part in ("place", "user", "sync", "warning", "clock"):
            yield Static("", id=f"status-{part}")

    def watch_status(self, status: Status | None) -> None:
        if status is None:
            return
        try:
            place = self.query_one("#status-place", Static)
        except NoMatches:  # set before the parts were composed: show it once they are
            self.call_after_refresh(self.watch_status, status)
            return
        place.update(f"{status.library} · {status.branch}")
        self.query_one("#status-user", Static).update(f"{status.user} ({status.role})")
        self.query_one("#status-sync", Static).update(status.sync)
        self.query_one("#status-warning", Static).update(status.warning)
        self.query_one("#status-clock", Static).update(status.clock)

    def on_mount(self) -> None:
        self.watch_status(self.status)


def describe_clock(local_now) -> str:
    return f"{format_date(local_now.date())} {local_now:%H:%M}"


def describe_sync(pending: int, enrolled: bool) -> str:
    if not enrolled:
        return _("No hub yet · {n} to send").format(n=pending)
    return _("Hub · {n} to send").format(n=pending)
