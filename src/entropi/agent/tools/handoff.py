"""`entropi.handoff`: the model asks for the task to move to another tier.

Scope: validating the request and reporting it in `data={"tier", "reason"}`. Non-goals: the switch itself
(the agent loop reads `data` and routes the next model call).
"""

from __future__ import annotations

from typing import Any

from entropi.agent.tools.base import ToolBase, ToolContext, ToolError, ToolResult
from entropi.config.schema import TIERS


class HandoffTool(ToolBase):
    name = "entropi.handoff"
    mutates = False

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        tier = args.get("tier")
        reason = args.get("reason")
        if tier not in TIERS:
            raise ToolError("invalid_arguments", f"tier {tier!r} is not one of {', '.join(TIERS)}")
        if tier == ctx.tier:
            raise ToolError("same_tier", f"already on the {tier} tier; continue the task here")
        if not isinstance(reason, str) or not reason.strip():
            raise ToolError("invalid_arguments", "give a reason for the handoff")
        reason = reason.strip()
        return ToolResult.ok(
            f"Handing off to the {tier} tier: {reason}", data={"tier": tier, "reason": reason}
        )
