//! JSON-RPC 2.0 message values: parsing one frame into a [`Message`] and writing it back.
//!
//! Parsing is tolerant where real agents are sloppy (fields in any order, string or numeric
//! ids, `result: null`) and strict where a mistake would mis-route a frame.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::fmt;

/// Standard and ACP-specific JSON-RPC error codes.
pub mod codes {
    pub const PARSE_ERROR: i64 = -32700;
    pub const INVALID_REQUEST: i64 = -32600;
    pub const METHOD_NOT_FOUND: i64 = -32601;
    pub const INVALID_PARAMS: i64 = -32602;
    pub const INTERNAL_ERROR: i64 = -32603;
    /// ACP: the agent needs `authenticate` before it serves sessions.
    pub const AUTH_REQUIRED: i64 = -32000;
    /// ACP: a session or resource does not exist.
    pub const RESOURCE_NOT_FOUND: i64 = -32002;
    /// ACP: the request was cancelled.
    pub const REQUEST_CANCELLED: i64 = -32800;
    /// praxis: the connection closed before the answer came (process exit, broker loss).
    pub const CONNECTION_CLOSED: i64 = -32099;
}

/// A request id: agents use numbers or strings (some use UUIDs).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Id {
    Num(i64),
    Str(String),
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::Num(n) => write!(f, "{n}"),
            Id::Str(s) => write!(f, "{s:?}"),
        }
    }
}

/// A JSON-RPC error object, surfaced to users with its message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("{message} (code {code})")]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }
    pub fn method_not_found(method: &str) -> Self {
        Self::new(
            codes::METHOD_NOT_FOUND,
            format!("method not found: {method}"),
        )
    }
    pub fn invalid_params(detail: impl fmt::Display) -> Self {
        Self::new(codes::INVALID_PARAMS, format!("invalid params: {detail}"))
    }
    pub fn internal(detail: impl fmt::Display) -> Self {
        Self::new(codes::INTERNAL_ERROR, detail.to_string())
    }
    pub fn closed(reason: impl fmt::Display) -> Self {
        Self::new(codes::CONNECTION_CLOSED, reason.to_string())
    }
    pub fn not_found(what: impl fmt::Display) -> Self {
        Self::new(codes::RESOURCE_NOT_FOUND, what.to_string())
    }
}

/// One JSON-RPC frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Request {
        id: Id,
        method: String,
        params: Value,
    },
    Notification {
        method: String,
        params: Value,
    },
    Response {
        id: Id,
        result: Result<Value, RpcError>,
    },
}

/// Why a line is not a JSON-RPC message.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("not a JSON-RPC message: {0}")]
    Shape(&'static str),
    /// A request whose id is not a string or an integer praxis can echo back (a float, a
    /// number out of range, null, an object...). JSON-RPC says to answer it with an
    /// "invalid request" error carrying `id: null` ([`invalid_request_line`]).
    #[error("invalid request `{method}`: {reason}")]
    BadRequestId {
        method: String,
        reason: &'static str,
    },
    /// An error response with `id: null`: the other side could not parse or route a frame.
    #[error("the other side reported an error it could not tie to a request: {0}")]
    NullIdError(RpcError),
}

/// The answer to a request that cannot be answered by id: an error with `id: null`.
pub fn invalid_request_line(detail: impl fmt::Display) -> String {
    json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": RpcError::new(codes::INVALID_REQUEST, format!("invalid request: {detail}")),
    })
    .to_string()
}

/// Reads an id: a string, or an integer that fits an `i64`.
fn parse_id(v: &Value) -> Result<Id, &'static str> {
    match v {
        Value::String(s) => Ok(Id::Str(s.clone())),
        Value::Number(n) => n.as_i64().map(Id::Num).ok_or(if n.is_f64() {
            "the id is not an integer"
        } else {
            "the id is out of range"
        }),
        Value::Null => Err("the id is null"),
        _ => Err("the id is not a string or a number"),
    }
}

impl Message {
    /// Parses one NDJSON line.
    pub fn parse(line: &str) -> Result<Message, ParseError> {
        let value: Value = serde_json::from_str(line)?;
        Self::from_value(value)
    }

    pub fn from_value(value: Value) -> Result<Message, ParseError> {
        let Value::Object(mut obj) = value else {
            return Err(ParseError::Shape("not an object"));
        };
        let id = obj.remove("id");
        match (obj.remove("method"), id) {
            (Some(Value::String(method)), Some(id)) => match parse_id(&id) {
                Ok(id) => Ok(Message::Request {
                    id,
                    method,
                    params: take_params(&mut obj),
                }),
                Err(reason) => Err(ParseError::BadRequestId { method, reason }),
            },
            (Some(Value::String(method)), None) => Ok(Message::Notification {
                method,
                params: take_params(&mut obj),
            }),
            (Some(_), _) => Err(ParseError::Shape("method is not a string")),
            (None, None) => Err(ParseError::Shape("neither request nor response")),
            (None, Some(Value::Null)) => match obj.remove("error") {
                // The other side could not read one of our frames (JSON-RPC answers that
                // with `id: null`): nothing waits for it, but it is worth knowing.
                Some(err) if !err.is_null() => Err(ParseError::NullIdError(
                    serde_json::from_value::<RpcError>(err)
                        .unwrap_or_else(|_| RpcError::internal("malformed error object")),
                )),
                _ => Err(ParseError::Shape("a response with a null id and no error")),
            },
            (None, Some(id)) => {
                let id = parse_id(&id).map_err(|_| ParseError::Shape("bad id"))?;
                // `"error": null` beside a result is sloppy but means no error.
                if let Some(err) = obj.remove("error").filter(|e| !e.is_null()) {
                    let err = serde_json::from_value::<RpcError>(err)
                        .unwrap_or_else(|_| RpcError::internal("malformed error object"));
                    Ok(Message::Response {
                        id,
                        result: Err(err),
                    })
                } else if let Some(result) = obj.remove("result") {
                    Ok(Message::Response {
                        id,
                        result: Ok(result),
                    })
                } else {
                    Err(ParseError::Shape("response without result or error"))
                }
            }
        }
    }

    /// Serializes the frame as one line (no trailing newline).
    pub fn to_line(&self) -> String {
        // `params` is left out when there are none (JSON-RPC: if present, an object or array).
        let value = match self {
            Message::Request { id, method, params } if params.is_null() => {
                json!({"jsonrpc": "2.0", "id": id, "method": method})
            }
            Message::Request { id, method, params } => {
                json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
            }
            Message::Notification { method, params } if params.is_null() => {
                json!({"jsonrpc": "2.0", "method": method})
            }
            Message::Notification { method, params } => {
                json!({"jsonrpc": "2.0", "method": method, "params": params})
            }
            Message::Response {
                id,
                result: Ok(result),
            } => {
                json!({"jsonrpc": "2.0", "id": id, "result": result})
            }
            Message::Response {
                id,
                result: Err(error),
            } => {
                json!({"jsonrpc": "2.0", "id": id, "error": error})
            }
        };
        value.to_string()
    }
}

fn take_params(obj: &mut Map<String, Value>) -> Value {
    obj.remove("params").unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_shapes_in_any_field_order() {
        let req = Message::parse(r#"{"params":{"a":1},"method":"x","id":"u-1","jsonrpc":"2.0"}"#)
            .unwrap();
        assert_eq!(
            req,
            Message::Request {
                id: Id::Str("u-1".into()),
                method: "x".into(),
                params: json!({"a":1})
            }
        );
        let note = Message::parse(r#"{"jsonrpc":"2.0","method":"n"}"#).unwrap();
        assert_eq!(
            note,
            Message::Notification {
                method: "n".into(),
                params: Value::Null
            }
        );
        let null_result = Message::parse(r#"{"jsonrpc":"2.0","id":3,"result":null}"#).unwrap();
        assert_eq!(
            null_result,
            Message::Response {
                id: Id::Num(3),
                result: Ok(Value::Null)
            }
        );
        let err =
            Message::parse(r#"{"jsonrpc":"2.0","id":4,"error":{"code":-32000,"message":"auth"}}"#)
                .unwrap();
        assert_eq!(
            err,
            Message::Response {
                id: Id::Num(4),
                result: Err(RpcError::new(-32000, "auth"))
            }
        );
    }

    #[test]
    fn rejects_garbage() {
        assert!(Message::parse("not json").is_err());
        assert!(Message::parse("[1,2]").is_err());
        assert!(Message::parse(r#"{"id":1}"#).is_err());
        assert!(Message::parse(r#"{"method":5}"#).is_err());
    }

    #[test]
    fn requests_with_ids_that_cannot_be_echoed_are_told_apart() {
        for id in [
            "1180591620717411303424",
            "1.5",
            "{}",
            "[1]",
            "true",
            "null",
            "-1e3",
        ] {
            let line = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"fs/read_text_file"}}"#);
            match Message::parse(&line) {
                Err(ParseError::BadRequestId { method, .. }) => {
                    assert_eq!(method, "fs/read_text_file", "id {id}")
                }
                other => panic!("id {id}: {other:?}"),
            }
        }
        let answer: Value = serde_json::from_str(&invalid_request_line("bad id")).unwrap();
        assert_eq!(answer["id"], Value::Null);
        assert_eq!(answer["error"]["code"], codes::INVALID_REQUEST);
        // A response with such an id is just malformed; a notification has no id at all.
        assert!(matches!(
            Message::parse(r#"{"jsonrpc":"2.0","id":1.5,"result":1}"#),
            Err(ParseError::Shape(_))
        ));
        assert!(matches!(
            Message::parse(r#"{"jsonrpc":"2.0","method":"n","params":[1]}"#),
            Ok(Message::Notification { .. })
        ));
    }

    #[test]
    fn sloppy_but_readable_frames_are_read() {
        assert_eq!(
            Message::parse(r#"{"jsonrpc":"2.0","id":1,"result":{},"error":null}"#).unwrap(),
            Message::Response {
                id: Id::Num(1),
                result: Ok(json!({}))
            }
        );
        match Message::parse(
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}"#,
        ) {
            Err(ParseError::NullIdError(e)) => assert_eq!(e.code, codes::PARSE_ERROR),
            other => panic!("{other:?}"),
        }
        let line = Message::Notification {
            method: "n".into(),
            params: Value::Null,
        }
        .to_line();
        assert!(!line.contains("params"), "{line}");
    }

    #[test]
    fn round_trips() {
        for m in [
            Message::Request {
                id: Id::Num(1),
                method: "m".into(),
                params: json!({}),
            },
            Message::Notification {
                method: "n".into(),
                params: json!([1]),
            },
            Message::Response {
                id: Id::Str("a".into()),
                result: Ok(json!({"x": true})),
            },
            Message::Response {
                id: Id::Num(2),
                result: Err(RpcError::method_not_found("q")),
            },
        ] {
            assert_eq!(Message::parse(&m.to_line()).unwrap(), m);
        }
    }
}
