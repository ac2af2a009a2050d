#!/usr/bin/env python3
"""A deliberately hostile ACP agent for tests/hostile.rs (plain Python 3, stdlib only).

It speaks enough ACP (JSON-RPC 2.0 as NDJSON over stdio) to be a working agent, and picks
its misbehaviour from the first word of the prompt text:

  (anything else)  one text chunk, then end_turn
  shapes           session/update with params that are an array, a string, a number, and
                   with `update` not an object; session/request_permission with params that
                   are an array and a string; then text and end_turn
  escapes          escape sequences in every agent-controlled string of a turn (text and
                   thought chunks, a sequence split across two chunks, the session title, tool call titles and
                   output, plan entries, the current mode, commands, a permission request)
                   and in the stopReason
  escapes-error    an error answer to session/prompt whose message carries escapes
  escapes-stderr   escapes written to stderr, then exit 3
  permission       a plain permission request; then text and end_turn
  odd-ids          requests whose ids are 2^70, 1.5, {}, [] and true; then end_turn
  oversized        one line over 17 MiB, then text and end_turn
  fs-dangling      fs/write_text_file to <cwd>/dangling (a dangling symlink the test made)
  fs-symdir        read and write through <cwd>/linkdir (a symlink to a directory outside)
  fs-fifo          fs/read_text_file of <cwd>/pipe (a FIFO the test made)
  fs-swap          exchanges <cwd>/swap (a regular file) and <cwd>/.swap-alt (a symlink to
                   a file outside) from a thread while sending 500 reads and 500 writes of
                   <cwd>/swap
  hang             never answers

Environment:
  HOSTILE_LOG       every line received is appended here (one frame per line)
  HOSTILE_PID       this process's pid is written here at start
  HOSTILE_ESCAPES   "1": escapes in agentInfo, session/new modes and the advertised commands
  HOSTILE_STUBBORN  "1": ignore SIGTERM and SIGHUP, and keep running after stdin closes
  HOSTILE_EARLY_FLOOD  N: send N session/update notifications before answering session/new
"""

import base64
import json
import os
import queue
import signal
import sys
import threading
import time

LOG = os.environ.get("HOSTILE_LOG")
ESCAPES = os.environ.get("HOSTILE_ESCAPES") == "1"
STUBBORN = os.environ.get("HOSTILE_STUBBORN") == "1"
EARLY_FLOOD = int(os.environ.get("HOSTILE_EARLY_FLOOD", "0"))

CLIP = base64.b64encode(b"PWNCLIP").decode()  # what an OSC 52 write would put on the clipboard
# Every kind of escape, each followed by a marker the test looks for right after an ESC.
PAYLOAD = (
    "\x1b[2J"  # CSI: clear the screen
    "\x1b[31;7;5;9m"  # SGR, in a form crossterm never writes
    "\x1b[6;6;6H"  # CSI cursor position with three parameters
    "\x1b]0;PWNTITLE\x07"  # OSC 0 title, BEL-terminated
    "\x1b]2;PWNTITLE\x1b\\"  # OSC 2 title, ST-terminated
    "\x1b]52;c;" + CLIP + "\x07"  # OSC 52 clipboard write
    "\x1bPqPWNDCS\x1b\\"  # DCS
    "\x1b_PWNAPC\x1b\\"  # APC
    "\x9b31m"  # 8-bit CSI
    "\x9d0;PWNTITLE\x07"  # 8-bit OSC title
    "\x9d52;c;" + CLIP + "\x9c"  # 8-bit OSC 52, 8-bit ST
    "\x07\x08\r"  # BEL, backspace, CR
)


def hostile(label):
    return label + PAYLOAD + " " + label + "-END"


_out_lock = threading.Lock()
_log_lock = threading.Lock()


def log(line):
    if not LOG:
        return
    with _log_lock:
        with open(LOG, "ab") as f:
            f.write(line.rstrip(b"\n") + b"\n")


def send_raw(text):
    with _out_lock:
        sys.stdout.buffer.write(text.encode() + b"\n")
        sys.stdout.buffer.flush()


def send(obj):
    send_raw(json.dumps(obj))


def respond(rid, result):
    send({"jsonrpc": "2.0", "id": rid, "result": result})


def respond_error(rid, code, message):
    send({"jsonrpc": "2.0", "id": rid, "error": {"code": code, "message": message}})


def update(sid, upd):
    send({"jsonrpc": "2.0", "method": "session/update", "params": {"sessionId": sid, "update": upd}})


def text(sid, t):
    update(sid, {"sessionUpdate": "agent_message_chunk", "content": {"type": "text", "text": t}})


# --- input: a reader thread queues parsed frames; requests of our own wait on it ----------

inbox = queue.Queue()


def reader():
    for line in sys.stdin.buffer:
        log(line)
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        inbox.put(msg)
    inbox.put(None)


later = []  # frames read while waiting for an answer, handled afterwards
null_id_answers = []  # responses with "id": null (to requests whose id was not acceptable)


def next_frame(timeout=None):
    try:
        return inbox.get(timeout=timeout)
    except queue.Empty:
        return "timeout"


def wait_answer(rid, timeout=20.0):
    """The response to our request `rid`, or None after `timeout` s (a hang guard)."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        msg = next_frame(left)
        if msg == "timeout":
            return None
        if msg is None:
            eof()
            continue
        if isinstance(msg, dict) and "method" not in msg:
            if msg.get("id") == rid:
                return msg
            if msg.get("id", "absent") is None:
                null_id_answers.append(msg)
            continue
        later.append(msg)


def call(method, params, rid, timeout=20.0):
    send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
    return wait_answer(rid, timeout)


def eof():
    if STUBBORN:
        while True:
            time.sleep(1)
    sys.exit(0)


def describe(answer):
    if answer is None:
        return "no answer"
    if "error" in answer:
        err = answer["error"] or {}
        return "error %s" % err.get("code")
    return "ok"


# --- behaviours ---------------------------------------------------------------------------

CWD = {}  # session id -> cwd


def modes():
    if ESCAPES:
        mid = hostile("MODEID")
        return {
            "currentModeId": mid,
            "availableModes": [
                {"id": mid, "name": hostile("MODENAME"), "description": hostile("MODEDESC")},
                {"id": "plain", "name": "Plain"},
            ],
        }
    return {
        "currentModeId": "default",
        "availableModes": [{"id": "default", "name": "Default"}, {"id": "plan", "name": "Plan"}],
    }


def config_options():
    """Config options (ACP configOptions); with escapes, in every string, plus one of a kind no
    client knows and one that is not even an object."""
    if not ESCAPES:
        return []
    return [
        {
            "id": "model",
            "name": hostile("OPTNAME"),
            "description": hostile("OPTDESC"),
            "category": "model",
            "type": "select",
            "currentValue": "m1",
            "options": [
                {"value": "m1", "name": hostile("MODELNAME")},
                {"value": "m2", "name": "Second\n\tline"},
            ],
        },
        {"id": "odd", "name": "Odd", "type": "slider", "currentValue": 3},
        "not an option",
    ]


def commands():
    if ESCAPES:
        return [
            {
                "name": "zap\x1b]0;PWNTITLE\x07\x1b[31mnow",
                "description": hostile("CMDDESC"),
                "input": {"hint": hostile("CMDHINT")},
            }
        ]
    return [{"name": "greet", "description": "Say hello", "input": None}]


def advertise(sid):
    update(sid, {"sessionUpdate": "available_commands_update", "availableCommands": commands()})


def b_shapes(sid, rid):
    for params in ([sid, {"sessionUpdate": "agent_message_chunk"}], "a string", 42):
        send({"jsonrpc": "2.0", "method": "session/update", "params": params})
    for upd in ("not an object", [1, 2], 7, None):
        send({"jsonrpc": "2.0", "method": "session/update", "params": {"sessionId": sid, "update": upd}})
    text(sid, "after the bad updates\n")
    for pid, params in (("perm-array", [sid, "allow"]), ("perm-string", "allow everything")):
        answer = call("session/request_permission", params, pid)
        text(sid, "%s: %s\n" % (pid, describe(answer)))
    text(sid, "shapes done\n")
    respond(rid, {"stopReason": "end_turn"})


def b_escapes(sid, rid):
    text(sid, hostile("TEXT") + "\n")
    # Sequences split across consecutive chunks.
    text(sid, "SPLIT-A \x1b]0;PWN")
    text(sid, "SPLIT\x07 SPLIT-B\n")
    text(sid, "LONE-A \x1b")
    text(sid, "]2;PWNLONE\x07 LONE-B\n")
    text(sid, "CSI-A \x1b[")
    text(sid, "31;7;5;9m CSI-B\n")
    text(sid, "OSC52-A \x1b]52;c;")
    text(sid, CLIP + "\x07 OSC52-B\n")
    update(sid, {"sessionUpdate": "agent_thought_chunk", "content": {"type": "text", "text": hostile("THOUGHT")}})
    # The session's title reaches the terminal's title (OSC 2), the status bar and the overlay.
    update(sid, {"sessionUpdate": "session_info_update", "title": hostile("SESSTITLE")})
    update(
        sid,
        {
            "sessionUpdate": "tool_call",
            "toolCallId": "tool-1",
            "title": hostile("TOOL"),
            "kind": "execute",
            "status": "in_progress",
        },
    )
    update(
        sid,
        {
            "sessionUpdate": "tool_call_update",
            "toolCallId": "tool-1",
            "status": "failed",
            "title": hostile("TOOLNEW"),
            "content": [{"type": "content", "content": {"type": "text", "text": hostile("TOOLOUT")}}],
        },
    )
    update(
        sid,
        {
            "sessionUpdate": "plan",
            "entries": [
                {"content": hostile("PLAN"), "priority": "high", "status": "in_progress"},
                {"content": "plain step", "priority": "low", "status": "pending"},
            ],
        },
    )
    update(sid, {"sessionUpdate": "current_mode_update", "currentModeId": hostile("MODENOW")})
    advertise(sid)
    answer = call(
        "session/request_permission",
        {
            "sessionId": sid,
            "toolCall": {"toolCallId": "tool-2", "title": hostile("PERM"), "kind": "edit", "status": "pending"},
            "options": [
                {"optionId": "allow", "name": hostile("ALLOW"), "kind": "allow_once"},
                {"optionId": "reject", "name": hostile("REJECT"), "kind": "reject_once"},
            ],
        },
        "perm-escapes",
        timeout=60.0,
    )
    text(sid, "\npermission: %s\nESCAPES-DONE\n" % describe(answer))
    respond(rid, {"stopReason": hostile("STOP")})


def b_escapes_error(sid, rid):
    text(sid, "about to fail\n")
    respond_error(rid, -32603, hostile("ERRMSG"))


def b_escapes_stderr(sid, rid):
    text(sid, "about to crash\n")
    sys.stderr.write(hostile("STDERR") + "\n" + PAYLOAD + "\n")
    sys.stderr.flush()
    sys.stdout.flush()
    os._exit(3)


def b_close_stdout(sid, rid):
    """Closes its output mid-turn but keeps running (the prompt is never answered)."""
    text(sid, "closing my output now\n")
    sys.stdout.flush()
    os.close(1)
    while True:
        time.sleep(1)


def b_permission(sid, rid):
    answer = call(
        "session/request_permission",
        {
            "sessionId": sid,
            "toolCall": {"toolCallId": "tool-p", "title": "Edit notes.txt", "kind": "edit", "status": "pending"},
            "options": [
                {"optionId": "allow", "name": "Allow", "kind": "allow_once"},
                {"optionId": "reject", "name": "Reject", "kind": "reject_once"},
            ],
        },
        "perm-plain",
    )
    outcome = ((answer or {}).get("result") or {}).get("outcome") or {}
    text(sid, "permission answered: %s %s\n" % (outcome.get("outcome"), outcome.get("optionId")))
    respond(rid, {"stopReason": "end_turn"})


ODD_IDS = ["1180591620717411303424", "1.5", "{}", "[]", "true"]


def b_odd_ids(sid, rid):
    path = os.path.join(CWD.get(sid, "."), "notes.txt")
    for raw in ODD_IDS:
        send_raw(
            '{"jsonrpc":"2.0","id":%s,"method":"fs/read_text_file","params":%s}'
            % (raw, json.dumps({"sessionId": sid, "path": path}))
        )
    # A well-formed request after them; then wait (bounded) for all the null-id answers.
    probe = call("fs/read_text_file", {"sessionId": sid, "path": path}, "probe-after-odd-ids")
    deadline = time.monotonic() + 10
    while len(null_id_answers) < len(ODD_IDS) and time.monotonic() < deadline:
        wait_answer("never-sent", timeout=0.2)
    text(sid, "probe: %s\nnull-id answers: %d\nodd ids done\n" % (describe(probe), len(null_id_answers)))
    respond(rid, {"stopReason": "end_turn"})


def b_oversized(sid, rid):
    text(sid, "before the big frame\n")
    pad = "x" * (17 * 1024 * 1024)
    big = (
        '{"jsonrpc":"2.0","method":"session/update","params":{"sessionId":"%s","update":'
        '{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"BIG-%s"}}}}' % (sid, pad)
    )
    send_raw(big)
    text(sid, "after the big frame\n")
    respond(rid, {"stopReason": "end_turn"})


def fs_read(sid, path, rid):
    return call("fs/read_text_file", {"sessionId": sid, "path": path}, rid)


def fs_write(sid, path, content, rid):
    return call("fs/write_text_file", {"sessionId": sid, "path": path, "content": content}, rid)


def b_fs_dangling(sid, rid):
    cwd = CWD.get(sid, ".")
    a = fs_write(sid, os.path.join(cwd, "dangling"), "PWNED by the agent\n", "w-dangling")
    b = fs_write(sid, os.path.join(cwd, "dangling-dir", "new.txt"), "PWNED\n", "w-dangling-dir")
    text(sid, "w-dangling: %s\nw-dangling-dir: %s\nfs done\n" % (describe(a), describe(b)))
    respond(rid, {"stopReason": "end_turn"})


def b_fs_symdir(sid, rid):
    cwd = CWD.get(sid, ".")
    a = fs_read(sid, os.path.join(cwd, "linkdir", "secret.txt"), "r-symdir")
    b = fs_write(sid, os.path.join(cwd, "linkdir", "new.txt"), "PWNED\n", "w-symdir")
    text(sid, "r-symdir: %s\nw-symdir: %s\nfs done\n" % (describe(a), describe(b)))
    respond(rid, {"stopReason": "end_turn"})


def b_fs_fifo(sid, rid):
    cwd = CWD.get(sid, ".")
    a = fs_read(sid, os.path.join(cwd, "pipe"), "r-fifo")
    text(sid, "r-fifo: %s\nfs done\n" % describe(a))
    respond(rid, {"stopReason": "end_turn"})


SWAP_TRIES = 500


def b_fs_swap(sid, rid):
    """<cwd>/swap (a regular file) and <cwd>/.swap-alt (a symlink to a file outside, both made
    by the test) trade places atomically from a thread while the reads and writes go out."""
    cwd = CWD.get(sid, ".")
    target = os.path.join(cwd, "swap")
    alt = os.path.join(cwd, ".swap-alt")
    stop = threading.Event()
    exchange = rename_exchange()

    def swapper():
        while not stop.is_set():
            if exchange is not None:
                exchange(target, alt)
            else:
                time.sleep(0.0005)

    t = threading.Thread(target=swapper, daemon=True)
    t.start()
    results = {"ok": 0, "error": 0, "no answer": 0}
    for i in range(SWAP_TRIES):
        for answer in (
            fs_read(sid, target, "swap-r-%d" % i),
            fs_write(sid, target, "OVERWRITTEN by the agent\n", "swap-w-%d" % i),
        ):
            d = describe(answer)
            results[d if d in results else "error"] += 1
    stop.set()
    t.join()
    text(sid, "swap: %d ok, %d errors, %d unanswered\nfs done\n" % (results["ok"], results["error"], results["no answer"]))
    respond(rid, {"stopReason": "end_turn"})


def rename_exchange():
    """renameat2(RENAME_EXCHANGE) through ctypes, or None where it is not available."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return None
    at_fdcwd, rename_exchange_flag = -100, 2

    def exchange(a, b):
        fn(at_fdcwd, a.encode(), at_fdcwd, b.encode(), rename_exchange_flag)

    return exchange


BEHAVIOURS = {
    "shapes": b_shapes,
    "escapes": b_escapes,
    "escapes-error": b_escapes_error,
    "escapes-stderr": b_escapes_stderr,
    "close-stdout": b_close_stdout,
    "permission": b_permission,
    "odd-ids": b_odd_ids,
    "oversized": b_oversized,
    "fs-dangling": b_fs_dangling,
    "fs-symdir": b_fs_symdir,
    "fs-fifo": b_fs_fifo,
    "fs-swap": b_fs_swap,
}


def prompt_text(params):
    blocks = params.get("prompt") if isinstance(params, dict) else None
    return "".join(b.get("text", "") for b in blocks or [] if isinstance(b, dict))


def handle(msg):
    if not isinstance(msg, dict):
        return
    method = msg.get("method")
    rid = msg.get("id")
    params = msg.get("params")
    if method is None or rid is None:
        return  # a notification (session/cancel is ignored) or a stray response
    if method == "initialize":
        name, title = ("hostile" + PAYLOAD, "Hostile" + PAYLOAD) if ESCAPES else ("hostile", "Hostile agent")
        respond(
            rid,
            {
                "protocolVersion": 1,
                "agentCapabilities": {"loadSession": False},
                "agentInfo": {"name": name, "title": title, "version": "6.6.6"},
                "authMethods": [],
            },
        )
    elif method == "session/new":
        sid = "hostile-session-%d" % (len(CWD) + 1)
        CWD[sid] = (params or {}).get("cwd", os.getcwd())
        for i in range(EARLY_FLOOD):
            update(sid, {"sessionUpdate": "agent_thought_chunk", "content": {"type": "text", "text": "early %d\n" % i}})
        respond(rid, {"sessionId": sid, "modes": modes(), "configOptions": config_options()})
        advertise(sid)
    elif method == "session/prompt":
        sid = (params or {}).get("sessionId", "")
        words = prompt_text(params).split()
        first = words[0] if words else ""
        if first == "hang":
            return
        behaviour = BEHAVIOURS.get(first)
        if behaviour:
            behaviour(sid, rid)
        else:
            text(sid, "Hello from the hostile agent.\n")
            respond(rid, {"stopReason": "end_turn"})
    elif method == "session/set_mode":
        respond(rid, {})
    elif method == "session/set_config_option":
        respond(rid, None)  # as some agents answer what they do not implement
    elif method == "authenticate":
        respond(rid, {})
    else:
        respond_error(rid, -32601, "method not found: %s" % method)


def main():
    if STUBBORN:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    pid_file = os.environ.get("HOSTILE_PID")
    if pid_file:
        with open(pid_file, "w") as f:
            f.write(str(os.getpid()))
    threading.Thread(target=reader, daemon=True).start()
    while True:
        while later:
            handle(later.pop(0))
        msg = next_frame()
        if msg is None:
            eof()
        handle(msg)


if __name__ == "__main__":
    main()
