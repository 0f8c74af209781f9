"""The audit trail: logins, overrides, views of personal data, deletions, settings."""

from __future__ import annotations

from typing import Any

from models import AuditLog


def record_audit(ctx, action: str, target_type: str = "", target_id: str = "", **details: Any) -> AuditLog:
    """Append to the audit log inside the caller's transaction. Never log secrets here."""
    return AuditLog.create(
        at=ctx.clock.utcnow(),
        staff=ctx.actor.staff_id,
        username=ctx.actor.username,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        details=details or None,
    )
