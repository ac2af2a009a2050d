//! The signals that end praxis the way Ctrl+Q does (SIGTERM, SIGHUP, SIGQUIT), as one
//! awaitable stream for the front ends' loops. Nothing here acts on them.

/// SIGTERM, SIGHUP and SIGQUIT, as one stream (a signal that cannot be watched is skipped).
pub struct Signals(Vec<(Signal, Option<tokio::signal::unix::Signal>)>);

/// A signal that ends praxis the way Ctrl+Q does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Term,
    Hup,
    Quit,
}

impl Signal {
    pub fn number(self) -> i32 {
        match self {
            Signal::Term => libc::SIGTERM,
            Signal::Hup => libc::SIGHUP,
            Signal::Quit => libc::SIGQUIT,
        }
    }
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Signal::Term => "SIGTERM",
            Signal::Hup => "SIGHUP",
            Signal::Quit => "SIGQUIT",
        })
    }
}

impl Signals {
    pub fn new() -> Signals {
        use tokio::signal::unix::{signal, SignalKind};
        Signals(
            [
                (Signal::Term, SignalKind::terminate()),
                (Signal::Hup, SignalKind::hangup()),
                (Signal::Quit, SignalKind::quit()),
            ]
            .into_iter()
            .map(|(s, kind)| (s, signal(kind).ok()))
            .collect(),
        )
    }

    /// The next signal that arrives (pending forever if none can be watched).
    pub async fn next(&mut self) -> Signal {
        let waits = self.0.iter_mut().filter_map(|(s, rx)| {
            let s = *s;
            rx.as_mut()
                .map(|rx| Box::pin(async move { rx.recv().await.map(|_| s) }))
        });
        let waits: Vec<_> = waits.collect();
        if waits.is_empty() {
            return std::future::pending().await;
        }
        match futures::future::select_all(waits).await.0 {
            Some(s) => s,
            None => std::future::pending().await,
        }
    }
}

impl Default for Signals {
    fn default() -> Self {
        Self::new()
    }
}
