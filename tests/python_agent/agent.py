"""Deterministic ACP test agent for praxis, built on the official Python SDK.

Run: /tmp/acpvenv/bin/python tests/python_agent/agent.py   (pip install -r requirements.txt)

Behaviour by prompt text:
  "slow"       -> "tick N" chunk every 100 ms for up to 30 s; stopReason "cancelled" on session/cancel
  "permission" -> session/request_permission (toolCallId t1), then "permission: <optionId|cancelled>"
  anything else-> "echo: <text>" streamed as 3 chunks, stopReason "end_turn"
PYAGENT_REQUIRE_AUTH=1 -> advertises authMethod "api-key"; session/new and authenticate fail with -32000.
PYAGENT_LOAD=1 -> advertises loadSession; session/load replays "history: earlier answer" (a
                  client that already has the history must drop it), then answers; prompts in a
                  loaded session echo as "echo (loaded <sessionId>): <text>".
"""
import asyncio
import os
import uuid

import acp
from acp import (PROTOCOL_VERSION, InitializeResponse, LoadSessionResponse, NewSessionResponse,
                 PromptResponse, RequestError)
from acp.schema import AgentCapabilities, AuthMethodAgent, Implementation, PermissionOption, ToolCallUpdate

REQUIRE_AUTH = os.environ.get("PYAGENT_REQUIRE_AUTH") == "1"
LOAD = os.environ.get("PYAGENT_LOAD") == "1"


class TestAgent:
    def on_connect(self, conn):
        self.conn = conn
        self.cancels: dict[str, asyncio.Event] = {}
        self.loaded: set[str] = set()

    async def initialize(self, protocol_version, client_capabilities=None, client_info=None, **kw):
        auth = [AuthMethodAgent(id="api-key", name="API key")] if REQUIRE_AUTH else []
        return InitializeResponse(protocol_version=PROTOCOL_VERSION, auth_methods=auth,
                                  agent_capabilities=AgentCapabilities(load_session=LOAD),
                                  agent_info=Implementation(name="praxis-pyagent", version="0.1.0"))

    async def authenticate(self, method_id, **kw):
        raise RequestError(-32000, "no key configured")

    async def new_session(self, cwd, mcp_servers=None, **kw):
        if REQUIRE_AUTH:
            raise RequestError.auth_required()
        sid = uuid.uuid4().hex
        self.cancels[sid] = asyncio.Event()
        return NewSessionResponse(session_id=sid)

    async def load_session(self, cwd, session_id, mcp_servers=None, **kw):
        if not LOAD:
            raise RequestError.method_not_found("session/load")
        self.cancels[session_id] = asyncio.Event()
        self.loaded.add(session_id)
        await self.say(session_id, "history: earlier answer")
        return LoadSessionResponse()

    async def cancel(self, session_id, **kw):
        if session_id in self.cancels:
            self.cancels[session_id].set()

    async def say(self, sid, text):
        await self.conn.session_update(session_id=sid, update=acp.update_agent_message_text(text))

    async def prompt(self, session_id, prompt, **kw):
        if session_id not in self.cancels:
            raise RequestError.invalid_params({"details": f"unknown session {session_id}"})
        cancelled = self.cancels[session_id]
        cancelled.clear()
        text = "".join(getattr(b, "text", "") for b in prompt)
        if text == "slow":
            for n in range(1, 301):
                await self.say(session_id, f"tick {n}")
                try:
                    await asyncio.wait_for(cancelled.wait(), 0.1)
                    return PromptResponse(stop_reason="cancelled")
                except asyncio.TimeoutError:
                    pass
            return PromptResponse(stop_reason="end_turn")
        if text == "permission":
            resp = await self.conn.request_permission(
                session_id=session_id,
                tool_call=ToolCallUpdate(tool_call_id="t1", title="write file", kind="edit"),
                options=[PermissionOption(option_id="allow", name="Allow", kind="allow_once"),
                         PermissionOption(option_id="reject", name="Reject", kind="reject_once")])
            if resp.outcome.outcome == "cancelled":
                await self.say(session_id, "permission: cancelled")
                return PromptResponse(stop_reason="cancelled")
            await self.say(session_id, f"permission: {resp.outcome.option_id}")
            return PromptResponse(stop_reason="end_turn")
        msg = f"echo (loaded {session_id}): {text}" if session_id in self.loaded else f"echo: {text}"
        third = max(1, len(msg) // 3)
        for part in (msg[:third], msg[third:2 * third], msg[2 * third:]):
            if part:
                await self.say(session_id, part)
        return PromptResponse(stop_reason="end_turn")


if __name__ == "__main__":
    asyncio.run(acp.run_agent(TestAgent()))
