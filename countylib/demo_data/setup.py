"""The demo library's shape: set up through ``initialize_library``, then its branch, reading
points, book van and stops, the three demo accounts, rules and closed days.

``initialize_library`` mints random keys and reads the wall clock (as it should for a real
library); the rows it made are then re-keyed from the seed so the whole file is the same
for the same seed and day.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import random
import sqlite3
from dataclasses import dataclass, field

import peewee as pw

from countylib.auth import SCRYPT_N, SCRYPT_P, SCRYPT_R
from countylib.clock import FixedClock
from countylib.demo_data import words
from countylib.demo_data.stamps import Minter, Timeline, closed_days, hm
from countylib.idnumbers import HASH_KEY_SETTING
from countylib.library import initialize_library
from countylib.demo_data.bulk import insert_row
from models import ALL_MODELS, SyncedModel

MODELS = {m._meta.table_name: m for m in ALL_MODELS}

MAIN_CODE = "XZ01"
MAIN_NAME = "总馆"
BRANCH_CODE = "XZ02"
BRANCH_NAME = "城关分馆"

# user name, password, role, display name: the demo's login screen and README show these.
ACCOUNTS = (
    ("admin", "admin123", "admin", "管理员"),
    ("librarian", "librarian123", "librarian", "王丽"),
    ("volunteer", "volunteer123", "volunteer", "张晓雨"),
)

READING_POINTS = (
    ("XZ01-RP01", "城东社区便民阅读点", "城东社区居民委员会", "李淑珍 13909171234"),
    ("XZ01-RP02", "蔡家坡镇便民阅读点", "蔡家坡镇综合文化站", "赵建军 13891765432"),
)
VAN = ("XZ01-VAN", "流动图书车", "陕C·D2806")
VAN_ROUTE = "流动图书车北线"
VAN_STOPS = (  # code, name, weekday (0 = Monday), time
    ("XZ01-VS01", "益店镇中心小学", 1, "09:00"),
    ("XZ01-VS02", "蒲村镇政府广场", 1, "14:30"),
    ("XZ01-VS03", "青化镇集市", 3, "09:30"),
    ("XZ01-VS04", "枣林镇敬老院", 3, "14:30"),
    ("XZ01-VS05", "京当镇文化广场", 5, "09:00"),
)


@dataclass
class Place:
    id: str
    code: str
    kind: str
    branch_id: str
    weekday: int | None = None
    time_of_day: str = ""


@dataclass
class Library:
    """What the rest of the generator needs to know about the library it fills."""

    main_branch: str
    other_branch: str
    main: Place
    branch: Place
    reading_points: list[Place]
    van: Place
    stops: list[Place]
    staff: dict[str, str]  # user name → id
    hash_key: str
    closed: set[int] = field(default_factory=set)  # ordinals of closed days

    @property
    def places(self) -> list[Place]:
        return [self.main, self.branch, *self.reading_points, self.van, *self.stops]


def password_hash(password: str, rng: random.Random) -> str:
    """``countylib.auth.hash_password`` with a salt from the seed, so the file repeats."""
    salt = rng.randbytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return "scrypt${}${}${}${}${}".format(
        SCRYPT_N, SCRYPT_R, SCRYPT_P, base64.b64encode(salt).decode(), base64.b64encode(digest).decode()
    )


def set_up(database: pw.SqliteDatabase, timeline: Timeline, rng: random.Random) -> Library:
    setup_day = timeline.first - 1
    setup_text, setup_ms = timeline.stamp(setup_day, hm(9))
    clock = FixedClock(instant=dt.datetime.fromtimestamp(setup_ms / 1000, dt.UTC))
    initialize_library(
        database,
        library_name=words.LIBRARY_NAME,
        branch_code=MAIN_CODE,
        branch_name=MAIN_NAME,
        admin_user=ACCOUNTS[0][0],
        password=ACCOUNTS[0][1],
        language="zh_CN",
        clock=clock,
    )
    conn = database.connection()
    conn.execute("PRAGMA foreign_keys = OFF")
    mint = Minter(rng)
    conn.execute("BEGIN")
    _pin_setup_rows(conn, mint, setup_text, setup_ms)
    library = _add_places_and_staff(conn, mint, rng, setup_text, setup_ms)
    _add_rules_and_calendar(conn, mint, timeline, library, setup_ms)
    library.hash_key = rng.randbytes(32).hex()
    conn.execute(
        "INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)", (HASH_KEY_SETTING, json.dumps(library.hash_key))
    )
    conn.execute("COMMIT")
    return library


def _references(conn: sqlite3.Connection) -> dict[str, list[tuple[str, str]]]:
    """For each table, the (table, column) pairs whose foreign keys point at it."""
    refs: dict[str, list[tuple[str, str]]] = {}
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    for table in tables:
        for row in conn.execute(f'PRAGMA foreign_key_list("{table}")'):
            refs.setdefault(row[2], []).append((table, row[3]))
    return refs


def _pin_setup_rows(conn: sqlite3.Connection, mint: Minter, stamp: str, ms: int) -> None:
    """Give every row the setup made a key from the seed and the setup's own time."""
    refs = _references(conn)
    renamed: list[tuple[str, str]] = []
    for model in ALL_MODELS:
        table = model._meta.table_name
        if issubclass(model, SyncedModel):
            for (old,) in conn.execute(f'SELECT id FROM "{table}" ORDER BY rowid').fetchall():
                new = mint(ms)
                conn.execute(f'UPDATE "{table}" SET id = ? WHERE id = ?', (new, old))
                for ref_table, column in refs.get(table, []):
                    conn.execute(f'UPDATE "{ref_table}" SET "{column}" = ? WHERE "{column}" = ?', (new, old))
                renamed.append((old, new))
        for f in model._meta.sorted_fields:
            if isinstance(f, pw.DateTimeField):
                conn.execute(f'UPDATE "{table}" SET "{f.column_name}" = ? WHERE "{f.column_name}" IS NOT NULL', (stamp,))
    device, epoch = mint(ms), mint(ms)
    conn.execute("UPDATE sync_state SET device_id = ?, epoch = ?", (device, epoch))
    for (event_id,) in conn.execute("SELECT id FROM outbox ORDER BY seq").fetchall():
        conn.execute("UPDATE outbox SET id = ?, device_id = ?, epoch = ? WHERE id = ?", (mint(ms), device, epoch, event_id))
    for old, new in renamed:  # ids quoted inside audit targets and event payloads
        conn.execute("UPDATE audit_log SET target_id = ? WHERE target_id = ?", (new, old))
        conn.execute("UPDATE outbox SET payload = replace(payload, ?, ?)", (old, new))


def _insert(conn: sqlite3.Connection, table: str, values: dict) -> None:
    insert_row(conn, MODELS[table], values)


def _add_places_and_staff(conn: sqlite3.Connection, mint: Minter, rng: random.Random, stamp: str, ms: int) -> Library:
    main_branch = conn.execute("SELECT id FROM branch WHERE code = ?", (MAIN_CODE,)).fetchone()[0]
    main_place = conn.execute("SELECT id FROM location WHERE code = ?", (MAIN_CODE,)).fetchone()[0]
    other_branch = mint(ms)
    _insert(conn, "branch", {"id": other_branch, "code": BRANCH_CODE, "name": BRANCH_NAME, "library_name": words.LIBRARY_NAME,
                             "is_local": 0, "created_at": stamp})

    def place(code: str, name: str, kind: str, branch: str, **more) -> Place:
        pid = mint(ms)
        row = {"id": pid, "branch_id": branch, "code": code, "name": name, "kind": kind, "host_organisation": "",
               "contact": "", "route": "", "weekday": None, "time_of_day": "", "active": 1}
        row.update(more)
        _insert(conn, "location", row)
        return Place(pid, code, kind, branch, row["weekday"], row["time_of_day"])

    branch_place = place(BRANCH_CODE, BRANCH_NAME, "branch", other_branch)
    points = [place(code, name, "reading_point", main_branch, host_organisation=host, contact=contact)
              for code, name, host, contact in READING_POINTS]
    van = place(VAN[0], VAN[1], "van", main_branch, route=VAN_ROUTE, contact=VAN[2])
    stops = [place(code, name, "van_stop", main_branch, route=VAN_ROUTE, weekday=weekday, time_of_day=time)
             for code, name, weekday, time in VAN_STOPS]

    staff = {}
    for username, password, role, display in ACCOUNTS:
        if role == "admin":
            sid = conn.execute("SELECT id FROM staff WHERE username = ?", (username,)).fetchone()[0]
            conn.execute("UPDATE staff SET password_hash = ?, display_name = ? WHERE id = ?",
                         (password_hash(password, rng), display, sid))
        else:
            sid = mint(ms)
            _insert(conn, "staff", {"id": sid, "username": username, "display_name": display, "role": role,
                                    "password_hash": password_hash(password, rng), "branch_id": main_branch, "active": 1,
                                    "failed_logins": 0, "locked_until": None, "last_login_at": None, "created_at": stamp})
        staff[username] = sid
    return Library(
        main_branch=main_branch,
        other_branch=other_branch,
        main=Place(main_place, MAIN_CODE, "branch", main_branch),
        branch=branch_place,
        reading_points=points,
        van=van,
        stops=stops,
        staff=staff,
        hash_key="",
    )


def _add_rules_and_calendar(conn: sqlite3.Connection, mint: Minter, timeline: Timeline, library: Library, ms: int) -> None:
    # Setting up the library already laid down the starting rules (reference and local
    # history not for loan, periodicals); the demo adds the children's rule.
    rules = (("child", None, 20, 5, 1, 20, 1),)  # category, item type, days, items, renewals, renewal days, loanable
    for category, item_type, days, most, renewals, renewal_days, loanable in rules:
        _insert(conn, "circulation_rule", {
            "id": mint(ms), "branch_id": None, "patron_category": category, "item_type": item_type, "loan_days": days,
            "max_items": most, "renewals": renewals, "renewal_days": renewal_days, "holds_allowed": 5 if loanable else 0,
            "fine_per_day_cents": 0, "fine_cap_cents": 0, "loanable": loanable,
        })
    first_year = dt.date.fromordinal(timeline.first).year
    last_year = dt.date.fromordinal(timeline.today).year + 1
    for year in range(first_year, last_year + 1):
        for day, reason in closed_days(year):
            conn.execute("INSERT INTO calendar (branch_id, day, reason) VALUES (NULL, ?, ?)", (day.isoformat(), reason))
            library.closed.add(day.toordinal())
