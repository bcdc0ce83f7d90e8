//! Caps on open connections: one for the whole server and one per client address
//! ([`super::client_addr::ClientAddr::key`]). A slot is held for as long as the socket is
//! open, WebSockets included (each holds a file descriptor), and given back when it
//! closes. The per-address table holds only addresses with open connections, so it is
//! bounded by the global cap.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The server's connection caps. Cheap to clone.
#[derive(Clone)]
pub struct Caps(Arc<Inner>);

struct Inner {
    total: Arc<Semaphore>,
    per_address: Mutex<HashMap<IpAddr, usize>>,
    max_per_address: usize,
}

/// One connection's place under the global cap.
pub type TotalSlot = OwnedSemaphorePermit;

/// One connection's place under its address's cap; given back on drop.
pub struct AddressSlot {
    caps: Caps,
    key: IpAddr,
}

impl Caps {
    pub fn new(max_total: usize, max_per_address: usize) -> Caps {
        Caps(Arc::new(Inner {
            total: Arc::new(Semaphore::new(max_total.min(Semaphore::MAX_PERMITS))),
            per_address: Mutex::new(HashMap::new()),
            max_per_address,
        }))
    }

    /// A place under the global cap, if one is free.
    pub fn try_total(&self) -> Option<TotalSlot> {
        self.0.total.clone().try_acquire_owned().ok()
    }

    /// A place under the cap of the address `key`, if it has one free.
    pub fn try_address(&self, key: IpAddr) -> Option<AddressSlot> {
        let mut table = self.0.per_address.lock().ok()?;
        let open = table.entry(key).or_insert(0);
        if *open >= self.0.max_per_address {
            return None;
        }
        *open += 1;
        Some(AddressSlot {
            caps: self.clone(),
            key,
        })
    }

    /// Connections open from `key` (for tests and logs).
    pub fn open_from(&self, key: IpAddr) -> usize {
        self.0
            .per_address
            .lock()
            .map_or(0, |t| t.get(&key).copied().unwrap_or(0))
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        if let Ok(mut table) = self.caps.0.per_address.lock() {
            if let Some(open) = table.get_mut(&self.key) {
                *open = open.saturating_sub(1);
                if *open == 0 {
                    table.remove(&self.key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_counted_and_given_back() {
        let caps = Caps::new(3, 2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let a1 = caps.try_address(a).unwrap();
        let _a2 = caps.try_address(a).unwrap();
        assert!(caps.try_address(a).is_none(), "the third from one address");
        let _b1 = caps.try_address(b).unwrap();
        drop(a1);
        assert!(
            caps.try_address(a).is_some(),
            "a closed connection frees its place"
        );
        let t: Vec<_> = (0..3).filter_map(|_| caps.try_total()).collect();
        assert_eq!(t.len(), 3);
        assert!(caps.try_total().is_none());
        drop(t);
        assert!(caps.try_total().is_some());
        drop(_a2);
        drop(_b1);
        assert_eq!(caps.open_from(b), 0);
        assert!(caps.0.per_address.lock().unwrap().len() <= 1);
    }
}
