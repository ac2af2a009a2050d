//! The relay's frame rules, frame by frame: tokens, `session/new` options, ids renumbered and
//! restored, extensions kept from the client, sessions remembered for closing, hostile input.

use super::*;

fn relay(token: Option<&str>) -> Relay {
    Relay::new("demo".into(), true, token.map(str::to_owned))
}

fn to_node(r: &mut Relay, v: Value) -> Value {
    match r.on_client(&v.to_string()) {
        FromClient::Node(l) => serde_json::from_str(&l).unwrap(),
        other => panic!("not relayed: {other:?}"),
    }
}

fn to_client(r: &mut Relay, v: Value) -> Vec<Value> {
    r.on_node(&v.to_string())
        .into_iter()
        .map(|a| match a {
            FromNode::Client(l) => serde_json::from_str(&l).unwrap(),
            other => panic!("not for the client: {other:?}"),
        })
        .collect()
}

#[test]
fn the_token_goes_into_every_command_and_session_new_names_the_agent() {
    let mut r = relay(Some("s3cret"));
    let sent = to_node(
        &mut r,
        json!({"jsonrpc": "2.0", "id": "a", "method": "session/new",
               "params": {"cwd": "/w", "mcpServers": [], "_meta": {"editor": {"x": 1}, "praxis": {"connector": "other"}}}}),
    );
    let praxis = &sent["params"]["_meta"]["praxis"];
    assert_eq!(praxis["connector"], "demo");
    assert_eq!(praxis["yolo"], true);
    assert_eq!(praxis["token"], "s3cret");
    assert_eq!(
        sent["params"]["_meta"]["editor"],
        json!({"x": 1}),
        "the client's own _meta stays"
    );
    assert_eq!(sent["params"]["cwd"], "/w");
    // A notification without params, and one whose _meta is not an object.
    let cancel = to_node(
        &mut r,
        json!({"jsonrpc": "2.0", "method": "session/cancel"}),
    );
    assert_eq!(cancel["params"]["_meta"]["praxis"]["token"], "s3cret");
    assert!(cancel.get("id").is_none());
    let odd = to_node(
        &mut r,
        json!({"jsonrpc": "2.0", "id": 9, "method": "session/list", "params": {"_meta": "x"}}),
    );
    assert_eq!(odd["params"]["_meta"]["praxis"]["token"], "s3cret");
    // Without a token nothing is added to other commands.
    let mut plain = relay(None);
    let list = to_node(
        &mut plain,
        json!({"jsonrpc": "2.0", "id": 1, "method": "session/list", "params": {}}),
    );
    assert_eq!(list["params"], json!({}));
}

#[test]
fn ids_are_renumbered_and_restored_and_answers_to_the_node_pass_unchanged() {
    let mut r = relay(None);
    let a = to_node(
        &mut r,
        json!({"jsonrpc": "2.0", "id": "x-1", "method": "session/prompt", "params": {"sessionId": "s"}}),
    );
    let b = to_node(
        &mut r,
        json!({"jsonrpc": "2.0", "id": 1.5, "method": "session/prompt", "params": {"sessionId": "s"}}),
    );
    assert_ne!(a["id"], b["id"]);
    // The bridge's own request takes a number of its own.
    let (own, _) = r.own("initialize", json!({}));
    assert_ne!(json!(own), a["id"]);
    // Answers come back out of order, with the client's ids.
    let back = to_client(
        &mut r,
        json!({"jsonrpc": "2.0", "id": b["id"], "result": {"stopReason": "end_turn"}}),
    );
    assert_eq!(back[0]["id"], json!(1.5));
    let back = to_client(
        &mut r,
        json!({"jsonrpc": "2.0", "id": a["id"], "error": {"code": -32002, "message": "no"}}),
    );
    assert_eq!(back[0]["id"], "x-1");
    assert_eq!(back[0]["error"]["code"], -32002);
    let mine = r.on_node(&json!({"jsonrpc": "2.0", "id": own, "result": {"ok": 1}}).to_string());
    assert_eq!(mine, vec![FromNode::Own(own, Ok(json!({"ok": 1})))]);
    // The client's answer to a permission request carries the node's id: unchanged.
    let answer = r#"{"jsonrpc":"2.0","id":7,"result":{"outcome":{"outcome":"cancelled"}}}"#;
    assert_eq!(r.on_client(answer), FromClient::Node(answer.into()));
    // A request from the node passes as the node wrote it.
    let ask = r#"{"jsonrpc":"2.0","id":3,"method":"session/request_permission","params":{"sessionId":"s"}}"#;
    assert_eq!(r.on_node(ask), vec![FromNode::Client(ask.into())]);
}

#[test]
fn praxis_extensions_never_reach_the_client() {
    let mut r = relay(None);
    let status = json!({"jsonrpc": "2.0", "method": "_praxis/session/status",
                        "params": {"sessionId": "abcdef123456", "status": "idle"}});
    assert!(r.on_node(&status.to_string()).is_empty());
    let failed = json!({"jsonrpc": "2.0", "method": "_praxis/session/status",
                        "params": {"sessionId": "abcdef123456", "status": "failed", "reason": "agent exited"}});
    assert_eq!(
        r.on_node(&failed.to_string()),
        vec![FromNode::Say(
            "session abcdef12 failed: agent exited".into()
        )]
    );
    let notice = json!({"jsonrpc": "2.0", "method": "_praxis/session/notice",
                        "params": {"sessionId": "abc", "level": "warning", "message": "skipped"}});
    assert_eq!(
        r.on_node(&notice.to_string()),
        vec![FromNode::Say("session abc: warning: skipped".into())]
    );
    // A prompt another client sent is shown the standard way.
    let prompted = json!({"jsonrpc": "2.0", "method": "_praxis/session/prompted",
                          "params": {"sessionId": "abc", "prompt": [{"type": "text", "text": "hi"}]}});
    let shown = to_client(&mut r, prompted);
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0]["method"], "session/update");
    assert_eq!(
        shown[0]["params"]["update"],
        json!({"sessionUpdate": "user_message_chunk", "content": {"type": "text", "text": "hi"}})
    );
    // An extension request is answered for the client: method not found.
    let ext = json!({"jsonrpc": "2.0", "id": 4, "method": "_praxis/anything", "params": {}});
    let got = r.on_node(&ext.to_string());
    let [FromNode::Node(l)] = got.as_slice() else {
        panic!("{got:?}")
    };
    let v: Value = serde_json::from_str(l).unwrap();
    assert_eq!(
        (v["id"].clone(), v["error"]["code"].clone()),
        (json!(4), json!(-32601))
    );
}

#[test]
fn initialize_names_the_bridge_and_sessions_are_remembered_until_closed() {
    let mut r = relay(None);
    let init = to_node(
        &mut r,
        json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": 1}}),
    );
    let back = to_client(
        &mut r,
        json!({"jsonrpc": "2.0", "id": init["id"], "result": {"protocolVersion": 1,
               "agentInfo": {"name": "praxis-node"}, "_meta": {"praxis": {"node": "n1"}}}}),
    );
    assert_eq!(back[0]["id"], 0);
    assert_eq!(back[0]["result"]["agentInfo"]["name"], "praxis-bridge");
    assert_eq!(
        back[0]["result"]["agentInfo"]["title"],
        "praxis: demo on n1"
    );
    let open = |r: &mut Relay, id: &str| {
        let sent = to_node(
            r,
            json!({"jsonrpc": "2.0", "id": "n", "method": "session/new", "params": {"cwd": "/"}}),
        );
        to_client(
            r,
            json!({"jsonrpc": "2.0", "id": sent["id"], "result": {"sessionId": id}}),
        );
    };
    open(&mut r, "s1");
    open(&mut r, "s2");
    let close = to_node(
        &mut r,
        json!({"jsonrpc": "2.0", "id": 5, "method": "session/close", "params": {"sessionId": "s1"}}),
    );
    to_client(
        &mut r,
        json!({"jsonrpc": "2.0", "id": close["id"], "result": {}}),
    );
    // One session/new still unanswered when the client goes.
    let late = to_node(
        &mut r,
        json!({"jsonrpc": "2.0", "id": 6, "method": "session/new", "params": {"cwd": "/"}}),
    );
    let prompt = to_node(
        &mut r,
        json!({"jsonrpc": "2.0", "id": 7, "method": "session/prompt", "params": {"sessionId": "s2"}}),
    );
    assert_eq!(r.begin_closing(), vec!["s2".to_string()]);
    assert_eq!(r.pending_new(), 1);
    assert_eq!(
        r.on_node(
            &json!({"jsonrpc": "2.0", "id": late["id"], "result": {"sessionId": "s3"}}).to_string()
        ),
        vec![FromNode::Late(Some("s3".into()))]
    );
    assert_eq!(r.pending_new(), 0);
    // Nothing more goes to a client that has gone.
    assert!(r
        .on_node(&json!({"jsonrpc": "2.0", "id": prompt["id"], "result": {}}).to_string())
        .is_empty());
}

#[test]
fn hostile_input_is_answered_not_relayed_and_never_panics() {
    let mut r = relay(Some("t"));
    let error = |a: FromClient| match a {
        FromClient::Client(l) => serde_json::from_str::<Value>(&l).unwrap(),
        other => panic!("relayed: {other:?}"),
    };
    let e = error(r.on_client("this is not json {"));
    assert_eq!(
        (e["id"].clone(), e["error"]["code"].clone()),
        (Value::Null, json!(-32700))
    );
    for not_object in ["[1,2]", "42", "\"x\"", "null", "[]"] {
        let e = error(r.on_client(not_object));
        assert_eq!(e["error"]["code"], -32600, "{not_object}");
    }
    // Shapes the node judges: passed on (with the token where there is a place for it).
    for odd in [
        json!({"method": 5, "id": 1}),
        json!({"jsonrpc": "2.0", "id": null, "method": "session/new"}),
        json!({"jsonrpc": "2.0", "id": {}, "method": "initialize", "params": []}),
        json!({"jsonrpc": "2.0", "id": [1], "method": "session/new", "params": "cwd"}),
    ] {
        assert!(
            matches!(r.on_client(&odd.to_string()), FromClient::Node(_)),
            "{odd}"
        );
    }
    // From the node: garbage is dropped; unknown ids pass through.
    assert!(r.on_node("garbage").is_empty());
    assert!(r.on_node("[1]").is_empty());
    assert_eq!(r.on_node(r#"{"id":null,"error":{}}"#).len(), 1);
    assert_eq!(r.on_node(r#"{"id":999999,"result":{}}"#).len(), 1);
    let lost = r.lost("gone");
    assert!(lost.is_empty(), "odd ids are not waited for: {lost:?}");
}

#[test]
fn a_lost_node_answers_every_waiting_request() {
    let mut r = relay(None);
    to_node(
        &mut r,
        json!({"jsonrpc": "2.0", "id": "p", "method": "session/prompt", "params": {}}),
    );
    r.own("initialize", json!({}));
    let lost: Vec<Value> = r
        .lost("node n1: it went")
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lost.len(), 1);
    assert_eq!(lost[0]["id"], "p");
    assert_eq!(lost[0]["error"]["code"], -32099);
    assert_eq!(lost[0]["error"]["message"], "node n1: it went");
}
