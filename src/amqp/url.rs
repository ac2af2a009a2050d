//! Broker addresses and the names that go into routing keys. Owns parsing and validating an
//! `amqp://` / `amqps://` URL into what lapin needs, and showing it without its password:
//! [`AmqpUrl`]'s `Display`, [`redact`] and every error built here print
//! `amqp://user@host:port/vhost` and never the password, whatever the input looked like.

use super::AmqpError;
use lapin::uri::{AMQPAuthority, AMQPQueryString, AMQPScheme, AMQPUri, AMQPUserInfo};
use std::fmt;

/// Heartbeat asked of the broker when the URL does not say (seconds): a dead broker is
/// noticed within about this long even when no TCP reset arrives.
const DEFAULT_HEARTBEAT: u16 = 15;

/// A validated broker URL: `amqp[s]://[user[:password]@]host[:port][/vhost][?query]`.
///
/// The user, the password and the vhost are percent-decoded (`%2f` is the default vhost `/`;
/// no path at all also means `/`). Query parameters are lapin's (`heartbeat`, `frame_max`,
/// `channel_max`, `connection_timeout`, `auth_mechanism`); the heartbeat defaults to 15 s.
/// `Display` and `Debug` never show the password.
#[derive(Clone, PartialEq, Eq)]
pub struct AmqpUrl {
    tls: bool,
    user: String,
    password: String,
    host: String,
    port: u16,
    vhost: String,
    query: String,
}

impl AmqpUrl {
    /// Parses and validates `url`. The error names what is wrong without echoing the input
    /// (which may hold a password).
    pub fn parse(url: &str) -> Result<AmqpUrl, AmqpError> {
        parse_parts(url).map_err(|reason| AmqpError::InvalidUrl {
            url: redact(url),
            reason,
        })
    }

    /// The host name or address, without brackets.
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn vhost(&self) -> &str {
        &self.vhost
    }

    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Removes the password from `text` (an error message from below may quote it).
    pub(crate) fn scrub(&self, text: &str) -> String {
        if self.password.len() >= 3 {
            text.replace(&self.password, "***")
        } else {
            text.to_string()
        }
    }

    /// What lapin connects to (the password included: never print this).
    pub(crate) fn to_lapin(&self) -> AMQPUri {
        let mut query = if self.query.is_empty() {
            AMQPQueryString::default()
        } else {
            format!("amqp://localhost/?{}", self.query)
                .parse::<AMQPUri>()
                .map(|u| u.query)
                .unwrap_or_default()
        };
        query.heartbeat.get_or_insert(DEFAULT_HEARTBEAT);
        AMQPUri {
            scheme: if self.tls {
                AMQPScheme::AMQPS
            } else {
                AMQPScheme::AMQP
            },
            authority: AMQPAuthority {
                userinfo: AMQPUserInfo {
                    username: self.user.clone(),
                    password: self.password.clone(),
                },
                host: self.host.clone(),
                port: self.port,
            },
            vhost: self.vhost.clone(),
            query,
        }
    }
}

impl fmt::Display for AmqpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "amqps" } else { "amqp" };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        write!(
            f,
            "{scheme}://{}@{host}:{}/{}",
            encode(&self.user),
            self.port,
            encode(&self.vhost)
        )
    }
}

impl fmt::Debug for AmqpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AmqpUrl({self})")
    }
}

impl std::str::FromStr for AmqpUrl {
    type Err = AmqpError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AmqpUrl::parse(s)
    }
}

/// `url` fit for a log line or an error: `amqp://user@host:port/vhost` when it parses, and
/// otherwise the text with whatever sits between `://` and the last `@` of the authority
/// reduced to the user name. Never returns the password.
pub fn redact(url: &str) -> String {
    if let Ok(parsed) = parse_parts(url) {
        return parsed.to_string();
    }
    let Some(start) = url.find("://").map(|i| i + 3) else {
        // No scheme: a password cannot be told apart; keep the text only if it has no '@'.
        return if url.contains('@') {
            "<an unparsable URL>".to_string()
        } else {
            url.to_string()
        };
    };
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    let authority = &url[start..end];
    match authority.rfind('@') {
        Some(at) => {
            let user = authority[..at].split(':').next().unwrap_or("");
            format!(
                "{}{user}@{}{}",
                &url[..start],
                &authority[at + 1..],
                &url[end..]
            )
        }
        None => url.to_string(),
    }
}

/// The parser; the error is a reason that never quotes the input.
fn parse_parts(url: &str) -> Result<AmqpUrl, String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or("it must start with amqp:// or amqps://")?;
    let tls = match scheme.to_ascii_lowercase().as_str() {
        "amqp" => false,
        "amqps" => true,
        _ => return Err("the scheme must be amqp or amqps".into()),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, q.to_string()),
        None => (rest, String::new()),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
        None => (None, authority),
    };
    let (user, password) = match userinfo {
        None => ("guest".to_string(), "guest".to_string()),
        Some(info) => {
            let (u, p) = info.split_once(':').unwrap_or((info, ""));
            let user = decode(u).ok_or("the user name is badly escaped")?;
            let password = decode(p).ok_or("the password is badly escaped")?;
            (user, password)
        }
    };
    let default_port = if tls { 5671 } else { 5672 };
    let (host, port) = split_host_port(hostport, default_port)?;
    let vhost = match path {
        None => "/".to_string(),
        Some(p) => decode(p).ok_or("the vhost is badly escaped")?,
    };
    if !query.is_empty() {
        // lapin judges the parameters it knows; its message names the parameter, not the URL.
        format!("amqp://localhost/?{query}")
            .parse::<AMQPUri>()
            .map_err(|e| format!("bad query parameter: {e}"))?;
    }
    Ok(AmqpUrl {
        tls,
        user,
        password,
        host,
        port,
        vhost,
        query,
    })
}

fn split_host_port(hostport: &str, default_port: u16) -> Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let (h, after) = rest
            .split_once(']')
            .ok_or("an IPv6 address must be closed with ]")?;
        match after.strip_prefix(':') {
            Some(p) => (h, Some(p)),
            None if after.is_empty() => (h, None),
            None => return Err("unexpected text after the IPv6 address".into()),
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err("the host is missing".into());
    }
    let host = decode(host).ok_or("the host is badly escaped")?;
    if host
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '@')
    {
        return Err("the host has characters a host name cannot have".into());
    }
    let port = match port {
        None | Some("") => default_port,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => n,
            _ => return Err("the port must be a number from 1 to 65535".into()),
        },
    };
    Ok((host, port))
}

/// Percent-decoding; `None` on a bad escape or bytes that are not UTF-8.
fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-encoding of everything but unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02x}"));
        }
    }
    out
}

/// Checks a node name or client id: `[A-Za-z0-9_-]{1,64}` (they go into routing keys and
/// queue names). `what` names it in the error ("node name", "client id").
pub fn validate_name(what: &'static str, name: &str) -> Result<(), AmqpError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(AmqpError::InvalidName {
            what,
            name: name.chars().take(80).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_forms() {
        let u = AmqpUrl::parse("amqp://guest:secret@127.0.0.1:5672/%2f").unwrap();
        assert_eq!(
            (u.host(), u.port(), u.vhost(), u.user()),
            ("127.0.0.1", 5672, "/", "guest")
        );
        assert_eq!(u.to_string(), "amqp://guest@127.0.0.1:5672/%2f");
        let u = AmqpUrl::parse("amqps://bob@broker.example").unwrap();
        assert!(u.is_tls());
        assert_eq!(u.to_string(), "amqps://bob@broker.example:5671/%2f");
        let u = AmqpUrl::parse("amqp://[::1]:5673/v?heartbeat=5").unwrap();
        assert_eq!(u.host(), "::1");
        assert_eq!(u.to_lapin().query.heartbeat, Some(5));
        assert_eq!(u.to_string(), "amqp://guest@[::1]:5673/v");
        assert_eq!(
            AmqpUrl::parse("amqp://h")
                .unwrap()
                .to_lapin()
                .query
                .heartbeat,
            Some(DEFAULT_HEARTBEAT)
        );
    }

    #[test]
    fn the_password_never_shows() {
        for url in [
            "amqp://u:hunter2@h:1/v",
            "amqp://u:hunter2@h:99999/v",
            "amqp://u:hunter2@/v",
            "amqp://u:hun%zzter2@h/v",
            "http://u:hunter2@h/v",
            "u:hunter2@h",
            "amqp://u:hunter2@h/v?heartbeat=abc",
        ] {
            assert!(!redact(url).contains("hunter2"), "{url} -> {}", redact(url));
            if let Err(e) = AmqpUrl::parse(url) {
                assert!(!e.to_string().contains("hunter2"), "{e}");
            }
            if let Ok(u) = AmqpUrl::parse(url) {
                assert!(!u.to_string().contains("hunter2"));
                assert!(!format!("{u:?}").contains("hunter2"));
            }
        }
        assert_eq!(redact("amqp://u:p@w@h:1/%2f"), "amqp://u@h:1/%2f");
    }

    #[test]
    fn refuses_what_is_not_a_broker_url() {
        for url in [
            "",
            "localhost",
            "http://h",
            "amqp://",
            "amqp://h:0",
            "amqp://h:x",
        ] {
            assert!(AmqpUrl::parse(url).is_err(), "{url}");
        }
    }

    #[test]
    fn names_are_routing_key_safe() {
        assert!(validate_name("node name", "n1_A-z").is_ok());
        for bad in ["", "a.b", "a*", "a#", "a b", &"x".repeat(65), "é"] {
            let e = validate_name("node name", bad).unwrap_err().to_string();
            assert!(e.contains("node name"), "{e}");
        }
    }
}
