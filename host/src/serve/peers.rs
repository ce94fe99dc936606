//! Who holds a listener's connections. One address may hold [`PER_PEER`] of them and
//! all together [`TOTAL`]; past either, the connection idle longest is shed (closed) to
//! make room — of the newcomer's own address when that address is at its cap, else of
//! the address holding the most — and only when none is idle is the newcomer refused.
//!
//! A connection is idle while no request of it is being answered: waiting for its TLS
//! handshake, for a request's headers, or between requests. So a client that opens many
//! connections and trickles headers, or just holds them open, loses its own connections
//! first, and a client that sends whole requests keeps getting in.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::Notify;

/// Connections one address may hold.
pub const PER_PEER: usize = 64;
/// Connections a listener holds in all.
pub const TOTAL: usize = 256;

/// The open connections of one listener.
#[derive(Debug)]
pub struct Peers {
    state: Mutex<State>,
    per_peer: usize,
    total: usize,
}

#[derive(Debug, Default)]
struct State {
    next: u64,
    open: HashMap<u64, Open>,
    by_peer: HashMap<IpAddr, usize>,
}

#[derive(Debug)]
struct Open {
    peer: IpAddr,
    /// Requests being answered.
    busy: usize,
    /// When its last request was answered, or it was accepted.
    idle_since: Instant,
    shed: Arc<Notify>,
}

/// A connection let in: it leaves the count when dropped. Wait on [`Ticket::shed`] to
/// learn that it was shed.
#[derive(Debug)]
pub struct Ticket {
    peers: Arc<Peers>,
    id: u64,
    shed: Arc<Notify>,
}

/// A request being answered on a connection: it is not idle until this is dropped.
#[derive(Debug)]
pub struct Busy {
    peers: Arc<Peers>,
    id: u64,
}

/// How a newcomer was let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admitted {
    /// There was room.
    Room,
    /// An idle connection was shed to make room.
    Shed,
}

impl Peers {
    /// A listener's connections: `per_peer` from one address, `total` in all.
    pub fn new(per_peer: usize, total: usize) -> Arc<Self> {
        Arc::new(Self { state: Mutex::default(), per_peer: per_peer.max(1), total: total.max(1) })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere must not stop the accepting.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Let a connection from `peer` in, shedding an idle one when it is needed; `None`
    /// when every connection that would have to go is busy.
    pub fn admit(self: &Arc<Self>, peer: IpAddr) -> Option<(Ticket, Admitted)> {
        let mut s = self.state();
        let mut admitted = Admitted::Room;
        let full = if s.by_peer.get(&peer).copied().unwrap_or(0) >= self.per_peer {
            Some(Some(peer))
        } else {
            (s.open.len() >= self.total).then_some(None)
        };
        if let Some(among) = full {
            let victim = s.victim(among)?;
            if let Some(open) = s.remove(victim) {
                open.shed.notify_one();
            }
            admitted = Admitted::Shed;
        }
        s.next += 1;
        let (id, shed) = (s.next, Arc::new(Notify::new()));
        s.open.insert(id, Open { peer, busy: 0, idle_since: Instant::now(), shed: shed.clone() });
        *s.by_peer.entry(peer).or_default() += 1;
        Some((Ticket { peers: self.clone(), id, shed }, admitted))
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.state().open.len()
    }
}

impl State {
    /// The idle connection to shed: of `peer` when named, else of the address holding
    /// the most; the one idle longest.
    fn victim(&self, peer: Option<IpAddr>) -> Option<u64> {
        let held = |p: &IpAddr| self.by_peer.get(p).copied().unwrap_or(0);
        self.open
            .iter()
            .filter(|(_, o)| o.busy == 0 && peer.is_none_or(|p| o.peer == p))
            .max_by_key(|(_, o)| (held(&o.peer), std::cmp::Reverse(o.idle_since)))
            .map(|(id, _)| *id)
    }

    fn remove(&mut self, id: u64) -> Option<Open> {
        let open = self.open.remove(&id)?;
        if let Some(n) = self.by_peer.get_mut(&open.peer) {
            *n -= 1;
            if *n == 0 {
                self.by_peer.remove(&open.peer);
            }
        }
        Some(open)
    }
}

impl Ticket {
    /// Mark a request begun on this connection; `None` when it was shed already.
    pub fn begin(&self) -> Option<Busy> {
        let mut s = self.peers.state();
        s.open.get_mut(&self.id)?.busy += 1;
        Some(Busy { peers: self.peers.clone(), id: self.id })
    }

    /// Resolves once the connection is shed.
    pub async fn shed(&self) {
        self.shed.notified().await;
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.peers.state().remove(self.id);
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        if let Some(open) = self.peers.state().open.get_mut(&self.id) {
            open.busy -= 1;
            if open.busy == 0 {
                open.idle_since = Instant::now();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    #[test]
    fn an_address_at_its_cap_loses_its_own_idle_connection_first() {
        let peers = Peers::new(2, 10);
        let (first, _) = peers.admit(ip(2)).unwrap();
        let (second, _) = peers.admit(ip(2)).unwrap();
        let _busy = second.begin().unwrap();
        let (third, how) = peers.admit(ip(2)).unwrap();
        assert_eq!(how, Admitted::Shed);
        assert!(first.begin().is_none(), "the idle one went");
        let _also = third.begin().unwrap();
        assert!(peers.admit(ip(2)).is_none(), "both left are busy");
        assert!(peers.admit(ip(3)).is_some(), "another address has room");
    }

    #[test]
    fn past_the_total_the_address_holding_most_gives_way() {
        let peers = Peers::new(10, 4);
        let (good, _) = peers.admit(ip(1)).unwrap();
        let abusers: Vec<Ticket> = (0..3).map(|_| peers.admit(ip(2)).unwrap().0).collect();
        let (_newcomer, how) = peers.admit(ip(3)).unwrap();
        assert_eq!(how, Admitted::Shed);
        assert!(good.begin().is_some(), "the address holding one keeps it");
        assert!(abusers[0].begin().is_none(), "the oldest idle of the address holding three went");
        assert_eq!(peers.open(), 4);
        drop(abusers);
        assert_eq!(peers.open(), 2);
    }
}
