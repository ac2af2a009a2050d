//! The envelope: what a message's AMQP properties and headers say about the frame in its
//! body. Owns building the properties for each kind of message and reading them back; the
//! body itself is never touched. Pure: no broker, no tasks.

use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::BasicProperties;

/// `type` of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Frame,
    /// Several frames in one message, joined by `\n` (frames that contain none).
    Frames,
    Close,
    Presence,
    Ping,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Frame => "frame",
            Kind::Frames => "frames",
            Kind::Close => "close",
            Kind::Presence => "presence",
            Kind::Ping => "ping",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "frame" => Kind::Frame,
            "frames" => Kind::Frames,
            "close" => Kind::Close,
            "presence" => Kind::Presence,
            "ping" => Kind::Ping,
            _ => return None,
        })
    }
}

/// Who a link message belongs to (the headers every link message carries but `lseq`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub node: String,
    pub client: String,
    pub link: String,
}

/// A received message, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Envelope {
    pub kind: Kind,
    pub node: String,
    pub client: String,
    pub link: String,
    pub boot: String,
    pub lseq: u64,
    pub reason: Option<String>,
}

/// Persistent, per AMQP 0-9-1.
const PERSISTENT: u8 = 2;
const TRANSIENT: u8 = 1;

fn text(v: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(v.as_bytes().to_vec()))
}

/// Properties of a link message (`frame` or `close`).
pub(crate) fn link_properties(
    kind: Kind,
    stamp: &Stamp,
    boot: &str,
    lseq: u64,
    message_id: &str,
    reason: Option<&str>,
) -> BasicProperties {
    let mut headers = FieldTable::default();
    headers.insert("node".into(), text(&stamp.node));
    headers.insert("client".into(), text(&stamp.client));
    headers.insert("link".into(), text(&stamp.link));
    headers.insert("boot".into(), text(boot));
    headers.insert(
        "lseq".into(),
        AMQPValue::LongLongInt(i64::try_from(lseq).unwrap_or(i64::MAX)),
    );
    if let Some(r) = reason {
        headers.insert("reason".into(), text(r));
    }
    BasicProperties::default()
        .with_message_id(ShortString::from(message_id))
        .with_type(ShortString::from(kind.as_str()))
        .with_delivery_mode(PERSISTENT)
        .with_headers(headers)
}

/// Properties of a node's presence: transient, expiring after 30 s.
pub(crate) fn presence_properties(node: &str, boot: &str) -> BasicProperties {
    let mut headers = FieldTable::default();
    headers.insert("node".into(), text(node));
    headers.insert("boot".into(), text(boot));
    BasicProperties::default()
        .with_message_id(ShortString::from(new_id()))
        .with_type(ShortString::from(Kind::Presence.as_str()))
        .with_delivery_mode(TRANSIENT)
        .with_expiration(ShortString::from("30000"))
        .with_content_type(ShortString::from("application/json"))
        .with_headers(headers)
}

/// Properties of a ping: transient, expiring after 10 s so that the inbox of a node that is
/// not running does not collect them.
pub(crate) fn ping_properties(client: &str) -> BasicProperties {
    let mut headers = FieldTable::default();
    headers.insert("client".into(), text(client));
    BasicProperties::default()
        .with_message_id(ShortString::from(new_id()))
        .with_type(ShortString::from(Kind::Ping.as_str()))
        .with_delivery_mode(TRANSIENT)
        .with_expiration(ShortString::from("3000"))
        .with_headers(headers)
}

/// A fresh message or boot id.
pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Reads a message's properties; the error says what is missing or wrong.
pub(crate) fn read(props: &BasicProperties) -> Result<Envelope, String> {
    let kind = props
        .kind()
        .as_ref()
        .ok_or("no type")
        .and_then(|k| Kind::parse(k.as_str()).ok_or("unknown type"))?;
    let empty = FieldTable::default();
    let headers = props.headers().as_ref().unwrap_or(&empty);
    let get = |name: &str| header_text(headers, name).unwrap_or_default();
    let lseq = match headers.inner().get("lseq") {
        None => 0,
        Some(v) => header_u64(v).ok_or("lseq is not a non-negative integer")?,
    };
    Ok(Envelope {
        kind,
        node: get("node"),
        client: get("client"),
        link: get("link"),
        boot: get("boot"),
        lseq,
        reason: header_text(headers, "reason"),
    })
}

fn header_text(headers: &FieldTable, name: &str) -> Option<String> {
    match headers.inner().get(name)? {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_string()),
        _ => None,
    }
}

fn header_u64(v: &AMQPValue) -> Option<u64> {
    match *v {
        AMQPValue::LongLongInt(n) => u64::try_from(n).ok(),
        AMQPValue::LongInt(n) => u64::try_from(n).ok(),
        AMQPValue::LongUInt(n) => Some(u64::from(n)),
        AMQPValue::ShortInt(n) => u64::try_from(n).ok(),
        AMQPValue::ShortUInt(n) => Some(u64::from(n)),
        AMQPValue::ShortShortInt(n) => u64::try_from(n).ok(),
        AMQPValue::ShortShortUInt(n) => Some(u64::from(n)),
        AMQPValue::Timestamp(n) => Some(n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_message_reads_back() {
        let stamp = Stamp {
            node: "n1".into(),
            client: "c1".into(),
            link: "l1".into(),
        };
        let props = link_properties(Kind::Close, &stamp, "b", 7, "m", Some("bye"));
        assert_eq!(props.delivery_mode(), &Some(2));
        assert_eq!(
            read(&props).unwrap(),
            Envelope {
                kind: Kind::Close,
                node: "n1".into(),
                client: "c1".into(),
                link: "l1".into(),
                boot: "b".into(),
                lseq: 7,
                reason: Some("bye".into()),
            }
        );
    }

    #[test]
    fn presence_and_pings_are_transient_and_expire() {
        let p = presence_properties("n", "b");
        assert_eq!(p.delivery_mode(), &Some(1));
        assert_eq!(p.expiration().as_ref().unwrap().as_str(), "30000");
        let e = read(&p).unwrap();
        assert_eq!((e.kind, e.node.as_str(), e.lseq), (Kind::Presence, "n", 0));
        let p = ping_properties("c");
        assert_eq!(read(&p).unwrap().kind, Kind::Ping);
    }

    #[test]
    fn bad_envelopes_are_refused() {
        assert!(read(&BasicProperties::default()).is_err());
        let odd = BasicProperties::default().with_type("nope".into());
        assert!(read(&odd).is_err());
        let mut h = FieldTable::default();
        h.insert("lseq".into(), AMQPValue::LongLongInt(-1));
        let neg = BasicProperties::default()
            .with_type("frame".into())
            .with_headers(h);
        assert!(read(&neg).is_err());
    }
}
