"""An outside ACP client, written with the Python SDK's client side (agent-client-protocol
0.12.1, `acp.spawn_agent_process`), that runs `praxis bridge --agent demo` as its agent, for
tests/bridge.rs. It knows nothing of praxis: plain ACP in, plain ACP out.

Run: python client.py PRAXIS_BINARY WORK_DIR
  (the PRAXIS_* variables of its environment are passed on to the bridge)

What it does, in one session of the demo agent, with WORK_DIR as the session's cwd:
  "/echo hello from python"                 plain text back
  "/write note.txt written through the bridge"
                                            a permission request, answered "allow", then a
                                            file written through the node's fs/ (not this
                                            client's: it advertises no fs capability and
                                            refuses fs/ calls)
  "/fs-escape"                              reads and writes outside WORK_DIR, each refused by
                                            the node's sandbox
  "/permission"                             a permission request, answered "reject"
then it closes the session itself, opens a second one and leaves it open (the bridge must
close it when this client goes), and exits. It prints one JSON object: what it was told
(agentInfo, the session ids, each turn's stop reason, text and update kinds, the permission
requests it saw, any fs/ or extension calls that reached it) and the bridge's exit status.
"""

import asyncio
import json
import os
import sys

import acp
from acp import RequestError, spawn_agent_process, text_block
from acp.schema import (AllowedOutcome, ClientCapabilities, DeniedOutcome, Implementation,
                        RequestPermissionResponse)


class Client:
    def __init__(self):
        self.answer = "allow"
        self.text = ""
        self.kinds = []
        self.permissions = []
        self.fs_calls = []
        self.extensions = []

    async def request_permission(self, session_id, tool_call, options, **kw):
        ids = [o.option_id for o in options]
        self.permissions.append({"session": session_id, "title": tool_call.title, "options": ids})
        if self.answer in ids:
            return RequestPermissionResponse(
                outcome=AllowedOutcome(outcome="selected", option_id=self.answer))
        return RequestPermissionResponse(outcome=DeniedOutcome(outcome="cancelled"))

    async def session_update(self, session_id, update, **kw):
        kind = update.session_update
        self.kinds.append(kind)
        if kind == "agent_message_chunk" and getattr(update.content, "type", None) == "text":
            self.text += update.content.text

    async def write_text_file(self, session_id, path, content, **kw):
        self.fs_calls.append(["write", path])
        raise RequestError.method_not_found("fs/write_text_file")

    async def read_text_file(self, session_id, path, line=None, limit=None, **kw):
        self.fs_calls.append(["read", path])
        raise RequestError.method_not_found("fs/read_text_file")

    async def ext_method(self, method, params):
        self.extensions.append(method)
        raise RequestError.method_not_found(method)

    async def ext_notification(self, method, params):
        self.extensions.append(method)


async def main():
    praxis, work = sys.argv[1], sys.argv[2]
    env = {k: v for k, v in os.environ.items() if k.startswith("PRAXIS_")}
    client = Client()
    summary = {}
    async with spawn_agent_process(
        client, praxis, "bridge", "--agent", "demo", env=env, cwd=work,
        # The bridge's stderr goes to ours (the test reads it); it gets time to close sessions.
        transport_kwargs={"stderr": None, "shutdown_timeout": 15.0},
    ) as (conn, proc):
        init = await conn.initialize(
            protocol_version=acp.PROTOCOL_VERSION,
            client_capabilities=ClientCapabilities(),
            client_info=Implementation(name="bridge-test-client", version="0.1.0"),
        )
        summary["protocol_version"] = init.protocol_version
        summary["agent_info"] = {"name": init.agent_info.name, "title": init.agent_info.title}
        new = await conn.new_session(cwd=work, mcp_servers=[])
        sid = new.session_id
        summary["session"] = sid
        turns = []
        for prompt, answer in [
            ("/echo hello from python", "allow"),
            ("/write note.txt written through the bridge", "allow"),
            ("/fs-escape", "allow"),
            ("/permission", "reject"),
        ]:
            client.text, client.kinds, client.answer = "", [], answer
            resp = await conn.prompt(session_id=sid, prompt=[text_block(prompt)])
            turns.append({"prompt": prompt, "stop_reason": resp.stop_reason,
                          "text": client.text, "kinds": sorted(set(client.kinds))})
        summary["turns"] = turns
        await conn.close_session(session_id=sid)
        left_open = await conn.new_session(cwd=work, mcp_servers=[])
        summary["left_open"] = left_open.session_id
        summary["permissions"] = client.permissions
        summary["fs_calls"] = client.fs_calls
        summary["extensions"] = client.extensions
    summary["exit_code"] = proc.returncode
    print(json.dumps(summary))


if __name__ == "__main__":
    asyncio.run(main())
