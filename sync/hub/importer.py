"""Importing a revoked device's unsent events from the file its app exported.

The branch app writes ``{"device_id", "branch", "epoch", "events": [...]}`` when the hub
answers ``device_revoked`` (see ``sync.client.export_unsent``). The admin imports it here;
the events go through exactly the same checks and fold as a push, so importing a file
twice, or a file whose first events did reach the hub, stores nothing twice.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sync.codec import PROTOCOL_VERSION
from sync.hub import service
from sync.hub.devices import Caller
from sync.hub.storage import Device, hub_db, migrate

BATCH = 500


def import_export_file(path: Path) -> dict[str, Any]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    migrate()
    with hub_db.connection_context():
        device = Device.get_or_none(Device.id == data["device_id"])
        if device is None:
            raise SystemExit(f"countylib-hub: device {data['device_id']} was never enrolled here")
        caller = Caller(device, used_previous_token=False)
        events = data["events"]
        applied = duplicates = 0
        for start in range(0, len(events), BATCH):
            batch = events[start : start + BATCH]
            answer = service.push(
                caller,
                {"protocol": PROTOCOL_VERSION, "device": device.id, "epoch": data["epoch"], "events": batch},
                allow_revoked=True,
            )
            for result in answer["results"]:
                if result["status"] == "duplicate":
                    duplicates += 1
                else:
                    applied += 1
    return {"device": device.id, "events": len(events), "stored": applied, "already_there": duplicates}
