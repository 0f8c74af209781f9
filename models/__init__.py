"""peewee models (tables only), database opening and schema migrations."""

from models.attendance import Attendance, Event, Registration, VisitCount
from models.base import BaseModel, SyncedModel, db
from models.callnumbers import CallNumberBlock, CallNumberCursor
from models.catalogue import Bib, Item
from models.circulation import Calendar, CirculationRule, Hold, InHouseUse, Loan
from models.deposits import DepositCollection, DepositLine
from models.donations import Donation, DonationLine, Donor
from models.org import AuditLog, Branch, Location, Setting, Staff, utcnow
from models.patrons import CardEvent, Patron
from models.replication import Conflict, KocExport, PendingChange, ReplicaState, SyncRun
from models.sync import Outbox, SyncState
from models.volunteers import Shift, ShiftAssignment, Volunteer, VolunteerHonour, VolunteerReview

# Creation order: every table after the tables it references.
ALL_MODELS = [
    Branch,
    Location,
    Staff,
    Setting,
    AuditLog,
    Patron,
    CardEvent,
    Bib,
    Item,
    Loan,
    Hold,
    CirculationRule,
    Calendar,
    InHouseUse,
    Donor,
    Donation,
    DonationLine,
    CallNumberBlock, CallNumberCursor,
    Volunteer,
    Shift,
    ShiftAssignment,
    VolunteerReview,
    VolunteerHonour,
    Event,
    Registration,
    Attendance,
    VisitCount,
    DepositCollection,
    DepositLine,
    Outbox,
    SyncState,
    ReplicaState, Conflict, PendingChange, SyncRun, KocExport,
]

__all__ = [m.__name__ for m in ALL_MODELS] + ["ALL_MODELS", "BaseModel", "SyncedModel", "db", "utcnow"]
