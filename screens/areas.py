"""The areas of the app: what the home screen, the F-keys and the command palette offer.

Each area names the screen that serves it. An area whose screen is None is not built yet,
and the placeholder says so plainly.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from textual.screen import Screen

from countylib.context import ServiceContext
from countylib.i18n import N_
from countylib.roles import LIBRARIAN, VOLUNTEER


@dataclass(frozen=True)
class Area:
    id: str
    title: str  # msgid
    help: str  # msgid
    key: str
    min_role: str
    issue: int  # where the area's work is tracked, for the "not built yet" note
    # "module:Class" of the area's screen, built with the service context; imported only
    # when the area is first opened, which keeps start-up quick.
    screen: str | None = None

    def build(self, ctx: ServiceContext) -> Screen | None:
        if self.screen is None:
            return None
        module, _, name = self.screen.partition(":")
        return getattr(importlib.import_module(module), name)(ctx)


AREAS: list[Area] = [
    Area("desk", N_("Desk"), N_("Check out, check in, renew, holds"), "f2", VOLUNTEER, 3, "screens.desk:DeskScreen"),
    Area("patrons", N_("Patrons"), N_("Register readers, cards, find a reader"), "f3", LIBRARIAN, 4, "screens.patrons:PatronsScreen"),
    Area("catalogue", N_("Catalogue"), N_("Search, catalogue, MARC import and export"), "f4", LIBRARIAN, 5, "screens.catalogue:CatalogueScreen"),
    Area("donations", N_("Donations"), N_("Take in gifts of books, certificates, labels"), "f5", LIBRARIAN, 5, "screens.donations:DonationsScreen"),
    Area("volunteers", N_("Volunteers"), N_("Roster, shifts, hours, recognition"), "f6", VOLUNTEER, 7, "screens.volunteers:VolunteersScreen"),
    Area("events", N_("Events & Attendance"), N_("Activities, registrations, visitor counts, the book van"), "f7", LIBRARIAN, 8, "screens.activities:ActivitiesScreen"),
    Area("reports", N_("Reports"), N_("Today at a glance, statistics, the annual report"), "f8", LIBRARIAN, 9, "screens.reports:ReportsScreen"),
    Area("sync", N_("Sync"), N_("Connection to the central library, conflicts"), "f9", LIBRARIAN, 6, "screens.sync:SyncScreen"),
    Area("settings", N_("Settings"), N_("Language, rules, staff accounts"), "f10", VOLUNTEER, 2, "screens.settings:SettingsScreen"),
]

AREAS_BY_ID = {area.id: area for area in AREAS}
