//! `praxis session start|list|prompt|stream|show|stop` as a user (or a script) runs it: the real
//! binary, an isolated home per test, the real local daemon it starts itself (no broker; the
//! broker's cases are in `script_broker.rs`). Exit codes and JSON shapes are those of
//! `docs/scripting.md`: every `--json` output is checked against the doc's
//! `<!-- shape: NAME -->` examples ([`support::Shapes`]).
//!
//! Turns are made deterministic with the demo agent: `/echo WORDS` answers WORDS and ends with
//! `end_turn`; `/permission` waits for an answer, so a session is reliably busy (and prompts
//! queue behind it) until the test answers it (as a full-screen client does, through the node
//! client library) or stops the session; `/slow N` streams N ticks 100 ms apart.
//!
//! Every daemon a test causes is SIGTERMed when the test ends, pass or fail (the home's
//! `Drop`, through `<runtime dir>/node.pid`; [`support::BrokerNode`]). Waits are polling loops
//! with hang guards, never timing assertions.

#[path = "script/support.rs"]
mod support;

use serde_json::{json, Value};
use support::{doc, shape_errors, short, Home, Shapes};

/// The paths of `a` and `b` name the same directory.
fn same_dir(a: &str, b: &std::path::Path) -> bool {
    std::fs::canonicalize(a).ok() == std::fs::canonicalize(b).ok()
}

// ---------------------------------------------------------------------------------------------
// The shape checker itself.

#[test]
fn the_doc_documents_every_shape_and_the_checker_rejects_what_differs() {
    let d = doc();
    let names: Vec<&str> = d.shapes.keys().map(String::as_str).collect();
    for want in [
        "session",
        "start",
        "list",
        "prompt",
        "show",
        "stop",
        "event update",
        "event prompt",
        "event status",
        "event permission",
        "event permission_resolved",
        "event auto_approved",
        "event notice",
        "event turn_end",
        "event transcript",
    ] {
        assert!(names.contains(&want), "no `{want}` shape in {names:?}");
    }
    // The doc's own examples match themselves.
    for (name, example) in &d.shapes {
        assert_eq!(
            shape_errors(d, name, example),
            Vec::<String>::new(),
            "{name}"
        );
    }
    let stop = json!({ "id": "x", "node": "n", "before": "working", "after": "closed" });
    assert!(shape_errors(d, "stop", &stop).is_empty());
    let missing = json!({ "id": "x", "node": "n", "before": "working" });
    assert_eq!(shape_errors(d, "stop", &missing), ["$.after: missing"]);
    let extra = json!({ "id": "x", "node": "n", "before": "w", "after": "c", "more": 1 });
    assert_eq!(shape_errors(d, "stop", &extra), ["$.more: not documented"]);
    let mistyped = json!({ "id": "x", "node": "n", "before": 1, "after": "closed" });
    assert_eq!(
        shape_errors(d, "stop", &mistyped),
        ["$.before: a number where the doc has a string"]
    );
    let null = json!({ "id": null, "node": "n", "before": "w", "after": "c" });
    assert_eq!(
        shape_errors(d, "stop", &null),
        ["$.id: null where the doc has a string"]
    );
    // Documented nullable keys take null; arrays are checked element by element.
    let mut session = d.shapes["session"].clone();
    session["title"] = Value::Null;
    session["cwd"] = Value::Null;
    assert!(shape_errors(d, "session", &session).is_empty());
    let mut list = d.shapes["list"].clone();
    list["sessions"][0]["queued"] = json!("0");
    assert_eq!(
        shape_errors(d, "list", &list),
        ["$.sessions[0].queued: a string where the doc has a number"]
    );
    let update = json!({ "event": "update", "id": "x", "update": { "kind": "y" } });
    assert_eq!(
        shape_errors(d, "event update", &update),
        ["$.update: not an object with a string sessionUpdate"]
    );
}

// ---------------------------------------------------------------------------------------------
// The local daemon, no broker.

#[test]
fn start_json_has_the_documented_shape_and_stream_prints_the_echoed_words() {
    let home = Home::local();
    let shapes = Shapes::default();
    assert!(home.daemon_pid().is_none());
    let r = home
        .session(&["start", "--json", "/echo", "quick", "brown", "fox"])
        .ok();
    let started = r.json();
    shapes.check("start", &started);
    let id = started["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "{started}");
    assert_eq!(started["agent"], "demo");
    assert_eq!(started["yolo"], false);
    assert_eq!(started["queued"], 0);
    assert!(
        same_dir(started["cwd"].as_str().unwrap(), &home.work()),
        "{started}"
    );
    assert!(
        home.daemon_pid().is_some(),
        "start started the local daemon"
    );
    // From the start: the whole turn whether or not it is still running.
    let r = home.session(&["stream", "--from-start", &id]).ok();
    assert!(r.stdout.contains("> /echo quick brown fox"), "{r}");
    assert!(r.stdout.contains("quick brown fox\n"), "{r}");
    // The node named in `start` is the one `list` shows.
    let listed = home.listed(&id, &[]).expect("listed");
    assert_eq!(listed["node"], started["node"]);
}

#[test]
fn stream_follows_a_busy_session_through_its_queued_echo_to_end_turn_with_exit_0() {
    let home = Home::local();
    let id = home.start(&["/permission"]);
    home.wait_status(&id, &["needs_permission"]);
    let r = home
        .session(&["prompt", &id, "/echo", "words", "after", "the", "wait"])
        .ok();
    assert_eq!(
        r.stdout.trim(),
        format!("{}: queued (1 turn(s) ahead)", short(&id)),
        "{r}"
    );
    let mut follow = home.spawn_session(&["stream", &id]);
    // It is attached and following once it shows the pending request.
    follow.wait_line("the pending permission request", |l| {
        l.starts_with("[permission] Write demo.txt")
    });
    home.answer_permission(&id, "allow");
    let r = follow.finish().ok();
    assert!(r.stdout.contains("permission: allow"), "{r}");
    assert!(r.stdout.contains("> /echo words after the wait"), "{r}");
    assert!(r.stdout.contains("words after the wait"), "{r}");
    assert_eq!(r.stderr, "", "{r}");
    home.wait_status(&id, &["idle"]);
}

#[test]
fn list_shows_live_sessions_by_default_and_ended_ones_with_all_or_status() {
    let home = Home::local();
    let shapes = Shapes::default();
    let a = home.start(&["/echo", "alpha"]);
    let b = home.start(&["/echo", "beta"]);
    home.wait_answered(&a, "alpha");
    home.wait_answered(&b, "beta");

    let r = home.session(&["list"]).ok();
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].starts_with("ID "), "a header first: {r}");
    for col in ["NODE", "AGENT", "STATUS", "AGE", "ACTIVE", "TITLE", "CWD"] {
        assert!(lines[0].contains(col), "header lacks {col}: {r}");
    }
    for (id, title) in [(&a, "/echo alpha"), (&b, "/echo beta")] {
        let line = lines
            .iter()
            .find(|l| l.starts_with(&format!("{}  ", short(id))))
            .unwrap_or_else(|| panic!("no line for {id}: {r}"));
        assert!(line.contains(" demo "), "{line}");
        assert!(line.contains(" idle "), "{line}");
        assert!(line.contains(title), "{line}");
    }
    assert_eq!(lines.len(), 3, "{r}");

    let list = home.session(&["list", "--json"]).ok().json();
    shapes.check("list", &list);
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{list}");
    for s in sessions {
        shapes.check("session", s);
    }
    assert_eq!(list["unreachable"], json!([]));

    let r = home.session(&["stop", short(&b)]).ok();
    assert_eq!(r.stdout.trim(), format!("{}: idle → closed", short(&b)));

    let ids = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["list", "--json"];
        all.extend_from_slice(args);
        let v = home.session(&all).ok().json();
        shapes.check("list", &v);
        v["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ids(&[]),
        std::slice::from_ref(&a),
        "the default: live ones only"
    );
    assert_eq!(ids(&["--status", "live"]), std::slice::from_ref(&a));
    assert_eq!(ids(&["--status", "idle"]), std::slice::from_ref(&a));
    assert_eq!(ids(&["--status", "closed"]), std::slice::from_ref(&b));
    assert_eq!(ids(&["--status", "ended"]), std::slice::from_ref(&b));
    assert_eq!(ids(&["--status", "working"]), Vec::<String>::new());
    let mut all = ids(&["--all"]);
    all.sort();
    let mut both = vec![a.clone(), b.clone()];
    both.sort();
    assert_eq!(all, both, "--all: the history too");

    // Most recently active first.
    let v = home.session(&["list", "--all", "--json"]).ok().json();
    let active: Vec<u64> = v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["lastActivityAt"].as_u64().unwrap())
        .collect();
    assert!(active.windows(2).all(|w| w[0] >= w[1]), "{v}");
    let closed = v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == b);
    let closed = closed.unwrap();
    assert_eq!(closed["status"], "closed");
    assert!(closed["endedAt"].is_u64(), "{closed}");

    let r = home.session(&["list"]).ok();
    assert!(!r.stdout.contains(short(&b)), "{r}");
    let r = home.session(&["list", "--all"]).ok();
    assert!(
        r.stdout.contains(short(&b)) && r.stdout.contains("closed"),
        "{r}"
    );

    home.session(&["list", "--status", "bogus"])
        .code(2)
        .says("unknown status `bogus`");
}

#[test]
fn prompts_queue_behind_a_permission_wait_and_stream_json_events_match_the_doc() {
    let home = Home::local();
    let shapes = Shapes::default();
    let id = home.start(&["/echo", "first"]);
    home.wait_answered(&id, "first");
    // A unique prefix names it; on an idle session the prompt is accepted at once.
    let r = home
        .session(&["prompt", short(&id), "/echo", "second"])
        .ok();
    assert_eq!(r.stdout.trim(), format!("{}: accepted", short(&id)), "{r}");
    home.wait_answered(&id, "second");

    let one = home
        .session(&["prompt", "--json", short(&id), "/permission"])
        .ok()
        .json();
    shapes.check("prompt", &one);
    assert_eq!(one["id"], id.as_str());
    assert_eq!(one["accepted"], true);
    assert_eq!(one["reopened"], false);
    let two = home
        .session(&["prompt", "--json", short(&id), "/echo", "never", "runs"])
        .ok()
        .json();
    shapes.check("prompt", &two);
    assert!(
        two["queued"].as_u64().unwrap() >= 1,
        "the second prompt waits behind the first: {two}"
    );

    let mut follow = home.spawn_session(&["stream", "--json", &id]);
    follow.wait_line("a permission event", |l| {
        l.contains("\"event\":\"permission\"")
    });
    let listed = home.listed(&id, &[]).unwrap();
    assert_eq!(listed["status"], "needs_permission", "{listed}");
    assert_eq!(listed["queued"], 1, "{listed}");
    assert!(listed["attached"].as_u64().unwrap() >= 1, "{listed}");
    let r = home.session(&["stop", &id]).ok();
    assert_eq!(
        r.stdout.trim(),
        format!("{}: needs_permission → closed", short(&id)),
        "{r}"
    );

    // The turns ended with errors (the session closed under them): exit 1.
    let r = follow.finish().code(1);
    let events = r.json_lines();
    let kinds = shapes.events(&events);
    for e in &events {
        assert_eq!(e["id"], id.as_str(), "{e}");
    }
    let asked = events.iter().find(|e| e["event"] == "permission");
    assert_eq!(
        asked.expect("a permission event")["title"],
        "Write demo.txt"
    );
    assert!(kinds.iter().any(|k| k == "turn_end"), "{r}");
    let last = events.last().unwrap();
    assert_eq!(last["event"], "turn_end", "{r}");
    assert_eq!(last["queued"], 0, "{r}");
    assert!(last["error"].is_string(), "{r}");
    // (Whether the `closed` status event comes before the last turn end, which ends the
    // stream, is not promised: the listing says it.)
    let closed = home.listed(&id, &[]).unwrap();
    assert_eq!(closed["status"], "closed", "{closed}");
}

#[test]
fn show_prints_the_details_and_the_transcript_as_json_and_as_text() {
    let home = Home::local();
    let shapes = Shapes::default();
    let id = home.start(&["/echo", "shown", "in", "the", "transcript"]);
    let shown = home.wait_answered(&id, "shown in the transcript");
    shapes.check("show", &shown);
    shapes.check("session", &shown["session"]);
    let s = &shown["session"];
    assert_eq!(s["id"], id.as_str());
    assert_eq!(s["agent"], "demo");
    assert_eq!(s["title"], "/echo shown in the transcript");
    assert_eq!(s["attached"], 0);
    assert!(s["endedAt"].is_null());
    let transcript = shown["transcript"].as_str().unwrap();
    assert!(
        transcript.starts_with("# praxis transcript"),
        "{transcript}"
    );
    assert!(
        transcript.contains("/echo shown in the transcript"),
        "{transcript}"
    );

    let r = home.session(&["show", short(&id)]).ok();
    let (details, markdown) = r.stdout.split_once("\n\n").expect("a blank line");
    let lines: Vec<&str> = details.lines().collect();
    assert_eq!(lines[0], format!("session   {id}"), "{r}");
    assert!(
        lines.contains(&"title     /echo shown in the transcript"),
        "{r}"
    );
    assert!(
        lines.contains(&format!("node      {}", s["node"].as_str().unwrap()).as_str()),
        "{r}"
    );
    for want in [
        "agent     demo",
        "status    idle",
        "yolo      off",
        "attached  0 client(s)",
    ] {
        assert!(lines.contains(&want), "no {want:?}: {r}");
    }
    assert!(lines.iter().any(|l| l.starts_with("created   ")), "{r}");
    assert!(lines.iter().any(|l| l.starts_with("active    ")), "{r}");
    assert!(markdown.starts_with("# praxis transcript"), "{r}");
    assert!(markdown.contains("shown in the transcript"), "{r}");
}

#[test]
fn stop_closes_a_working_session_and_stopping_it_again_reports_closed_to_closed() {
    let home = Home::local();
    let shapes = Shapes::default();
    let id = home.start(&["/slow", "600"]);
    support::wait_for("the slow turn's first tick", || {
        let v = home.session(&["show", "--json", &id]).ok().json();
        let ticking = v["session"]["status"] == "working"
            && v["transcript"]
                .as_str()
                .is_some_and(|t| t.contains("tick 1"));
        ticking.then_some(())
    });
    let r = home.session(&["stop", &id]).ok();
    assert_eq!(
        r.stdout.trim(),
        format!("{}: working → closed", short(&id)),
        "{r}"
    );
    let again = home.session(&["stop", "--json", &id]).ok().json();
    shapes.check("stop", &again);
    assert_eq!(again["id"], id.as_str());
    assert_eq!(again["before"], "closed");
    assert_eq!(again["after"], "closed");
    let r = home.session(&["stop", short(&id)]).ok();
    assert_eq!(
        r.stdout.trim(),
        format!("{}: closed → closed (it had already ended)", short(&id))
    );
    let shown = home.session(&["show", "--json", &id]).ok().json();
    shapes.check("show", &shown);
    assert_eq!(shown["session"]["status"], "closed");
    assert!(shown["session"]["endedAt"].is_u64(), "{shown}");
    assert!(shown["transcript"].as_str().unwrap().contains("tick 1"));
}

#[test]
fn a_prompt_to_a_stopped_session_reopens_it_and_the_new_answer_streams_and_shows() {
    let home = Home::local();
    let shapes = Shapes::default();
    let id = home.start(&["/echo", "before", "the", "stop"]);
    home.wait_answered(&id, "before the stop");
    home.session(&["stop", &id]).ok();
    let r = home
        .session(&[
            "prompt",
            "--json",
            short(&id),
            "/echo",
            "after",
            "reopening",
        ])
        .ok()
        .says(&format!("session {} had ended (closed)", short(&id)))
        .says("reopening it");
    let answer = r.json();
    shapes.check("prompt", &answer);
    assert_eq!(answer["reopened"], true, "{r}");
    assert_eq!(answer["accepted"], true, "{r}");
    assert_eq!(answer["id"], id.as_str(), "{r}");
    let shown = home.wait_answered(&id, "after reopening");
    assert!(shown["session"]["endedAt"].is_null(), "{shown}");
    assert!(shown["transcript"]
        .as_str()
        .unwrap()
        .contains("before the stop"));
    let r = home.session(&["stream", "--from-start", &id]).ok();
    assert!(r.stdout.contains("> /echo after reopening"), "{r}");
    assert!(r.stdout.contains("after reopening\n"), "{r}");
    // Live again.
    assert!(home.session(&["list"]).ok().stdout.contains(short(&id)));
}

#[test]
fn stream_from_start_replays_an_idle_sessions_answer_and_an_ended_sessions_transcript() {
    let home = Home::local();
    let shapes = Shapes::default();
    let id = home.start(&["/echo", "replayed", "words"]);
    home.wait_answered(&id, "replayed words");
    // Nothing to follow: it returns at once.
    let r = home.session(&["stream", &id]).ok();
    assert!(!r.stdout.contains("replayed words"), "{r}");
    let r = home.session(&["stream", "--from-start", &id]).ok();
    assert!(r.stdout.contains("> /echo replayed words"), "{r}");
    assert!(r.stdout.contains("replayed words\n"), "{r}");
    let r = home
        .session(&["stream", "--from-start", "--json", &id])
        .ok();
    let events = r.json_lines();
    let kinds = shapes.events(&events);
    for k in ["update", "prompt", "status", "turn_end"] {
        assert!(kinds.iter().any(|x| x == k), "no {k} event: {r}");
    }
    let text: String = events
        .iter()
        .filter(|e| e["update"]["sessionUpdate"] == "agent_message_chunk")
        .filter_map(|e| e["update"]["content"]["text"].as_str())
        .collect();
    assert_eq!(text, "replayed words");
    let end = events.iter().find(|e| e["event"] == "turn_end").unwrap();
    assert_eq!(end["stopReason"], "end_turn");
    assert!(end["error"].is_null());

    home.session(&["stop", &id]).ok();
    let r = home
        .session(&["stream", "--from-start", &id])
        .ok()
        .says(&format!("session {} has ended (closed)", short(&id)));
    assert!(r.stdout.starts_with("# praxis transcript"), "{r}");
    assert!(r.stdout.contains("replayed words"), "{r}");
    let r = home
        .session(&["stream", "--from-start", "--json", &id])
        .ok();
    let t = r.json();
    assert_eq!(shapes.event(&t), "transcript");
    assert!(t["markdown"].as_str().unwrap().contains("replayed words"));
    // Without --from-start an ended session has nothing to print.
    let r = home.session(&["stream", &id]).ok();
    assert_eq!(r.stdout, "", "{r}");
}

#[test]
fn without_a_daemon_list_show_stream_and_stop_exit_3_and_start_none() {
    let home = Home::local();
    home.session(&["list"])
        .code(3)
        .says("no node daemon answers on");
    home.session(&["list", "--json"]).code(3);
    home.session(&["show", "abcdef12"]).code(3);
    home.session(&["stream", "abcdef12"]).code(3);
    home.session(&["stop", "abcdef12"]).code(3);
    assert!(
        home.daemon_pid().is_none() && !home.socket().exists(),
        "list, show, stream and stop start no daemon"
    );
}

#[test]
fn unknown_ids_ambiguous_prefixes_unknown_agents_and_missing_dirs_exit_2() {
    let home = Home::local();
    // Sessions until two ids share a first character (17 at most).
    let mut ids: Vec<String> = Vec::new();
    let shared = loop {
        let id = home.start(&["/echo", "x"]);
        let c = id[..1].to_string();
        let twice = ids.iter().any(|i| i.starts_with(&c));
        ids.push(id);
        if twice {
            break c;
        }
        assert!(ids.len() <= 17, "{ids:?}");
    };
    let n = ids.iter().filter(|i| i.starts_with(&shared)).count();
    for cmd in ["show", "stop", "stream"] {
        let r = home
            .session(&[cmd, &shared])
            .code(2)
            .says(&format!("`{shared}` matches {n} sessions"));
        for id in ids.iter().filter(|i| i.starts_with(&shared)) {
            assert!(r.stderr.contains(short(id)), "{r}");
        }
    }
    home.session(&["prompt", &shared, "hi"])
        .code(2)
        .says("matches");
    for cmd in [
        vec!["show", "nosuch"],
        vec!["stop", "nosuch"],
        vec!["stream", "nosuch"],
        vec!["prompt", "nosuch", "hi"],
        vec!["show", "--json", "0123456789"],
    ] {
        home.session(&cmd).code(2).says("no session");
    }
    home.session(&["start", "--agent", "nosuch", "hi"])
        .code(2)
        .says("nosuch");
    home.session(&["start", "--cwd", "/nonexistent", "hi"])
        .code(2)
        .says("/nonexistent");
    // Nothing was started by the refusals.
    let v = home.session(&["list", "--all", "--json"]).ok().json();
    assert_eq!(v["sessions"].as_array().unwrap().len(), ids.len(), "{v}");
}

#[test]
fn ctrl_c_ends_a_stream_with_130_and_a_killed_daemon_ends_one_with_3_then_list_and_show_give_3() {
    let home = Home::local();
    let id = home.start(&["/permission"]);
    home.wait_status(&id, &["needs_permission"]);
    let mut follow = home.spawn_session(&["stream", &id]);
    follow.wait_line("the pending permission request", |l| {
        l.starts_with("[permission]")
    });
    follow.signal(libc::SIGINT);
    let r = follow.finish().code(130);
    assert!(!r.stderr.contains("panicked"), "{r}");
    // The session goes on without its follower.
    support::wait_for("the session still waiting, with no follower", || {
        let s = home.listed(&id, &[])?;
        (s["status"] == "needs_permission" && s["attached"] == 0).then_some(())
    });

    let mut follow = home.spawn_session(&["stream", "--json", &id]);
    follow.wait_line("a permission event", |l| {
        l.contains("\"event\":\"permission\"")
    });
    home.kill_daemon(libc::SIGKILL);
    follow.finish().code(3).says("went away");
    home.session(&["list"]).code(3);
    home.session(&["show", &id]).code(3);
    home.session(&["show", short(&id), "--json"]).code(3);
}

/// Every documented shape, each produced by real output at least once.
#[test]
fn every_documented_json_shape_is_matched_by_real_output() {
    let home = Home::local();
    let shapes = Shapes::default();
    // start, list, session, show.
    let started = home
        .session(&["start", "--json", "/echo", "shapes"])
        .ok()
        .json();
    shapes.check("start", &started);
    let id = started["id"].as_str().unwrap().to_string();
    let shown = home.wait_answered(&id, "shapes");
    shapes.check("show", &shown);
    shapes.check("session", &shown["session"]);
    let list = home.session(&["list", "--json"]).ok().json();
    shapes.check("list", &list);

    // auto_approved, with the rest of a turn replayed.
    let yolo = home.start(&["--yolo", "/permission"]);
    home.wait_answered(&yolo, "permission: allow");
    let r = home
        .session(&["stream", "--from-start", "--json", &yolo])
        .ok();
    let kinds = shapes.events(&r.json_lines());
    assert!(kinds.iter().any(|k| k == "auto_approved"), "{r}");

    // permission, permission_resolved, prompt (queued), update, status, turn_end.
    let asked = home.start(&["/permission"]);
    home.wait_status(&asked, &["needs_permission"]);
    let queued = home
        .session(&["prompt", "--json", &asked, "/echo", "answered"])
        .ok()
        .json();
    shapes.check("prompt", &queued);
    let mut follow = home.spawn_session(&["stream", "--json", &asked]);
    follow.wait_line("a permission event", |l| {
        l.contains("\"event\":\"permission\"")
    });
    home.answer_permission(&asked, "allow");
    let r = follow.finish().ok();
    let events = r.json_lines();
    let kinds = shapes.events(&events);
    for k in [
        "permission",
        "permission_resolved",
        "prompt",
        "update",
        "status",
        "turn_end",
    ] {
        assert!(kinds.iter().any(|x| x == k), "no {k} event: {r}");
    }
    let resolved = events
        .iter()
        .find(|e| e["event"] == "permission_resolved")
        .unwrap();
    assert_eq!(resolved["option"], "allow", "{r}");

    // notice (a queued prompt fails when the session is stopped), stop, transcript.
    let stopped = home.start(&["/permission"]);
    home.wait_status(&stopped, &["needs_permission"]);
    home.session(&["prompt", &stopped, "/echo", "never"]).ok();
    let mut follow = home.spawn_session(&["stream", "--json", &stopped]);
    follow.wait_line("a permission event", |l| {
        l.contains("\"event\":\"permission\"")
    });
    let stop = home.session(&["stop", "--json", &stopped]).ok().json();
    shapes.check("stop", &stop);
    assert_eq!(stop["after"], "closed");
    let r = follow.finish().code(1);
    let mut kinds = shapes.events(&r.json_lines());
    let r = home
        .session(&["stream", "--from-start", "--json", &stopped])
        .ok();
    assert_eq!(shapes.event(&r.json()), "transcript");
    // Reopened, its replay holds the notices (the failed prompts, the reopening) for sure.
    home.session(&["prompt", &stopped, "/echo", "reopened"])
        .ok();
    home.wait_answered(&stopped, "reopened");
    let r = home
        .session(&["stream", "--from-start", "--json", &stopped])
        .ok();
    kinds.extend(shapes.events(&r.json_lines()));
    assert!(kinds.iter().any(|k| k == "notice"), "{r}");

    let documented: std::collections::BTreeSet<String> = doc().shapes.keys().cloned().collect();
    assert_eq!(
        shapes.checked(),
        documented,
        "every documented shape is checked against real output"
    );
}
