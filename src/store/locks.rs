//! PostgreSQL advisory-lock keys, keyed with a per-database secret.
//!
//! Why keyed: the parts of a key (BSN, provider, municipality, allocation and declaration
//! numbers) are largely visible to analysts in the views. With an unkeyed hash anyone who may
//! call `pg_advisory_lock` could compute a provider's key and hold it, stalling its messages.
//! The keys are HMAC-SHA256 over the parts with a secret the migration creates in the table
//! `lock_secret`, readable by the migrating (service) role only.
//!
//! Decision: the secret lives in the database rather than in the configuration (e.g. the
//! pseudonym key): every instance on one database must derive the same keys or they no longer
//! exclude each other, and a shared row guarantees that by construction, with nothing to
//! configure and nothing to get wrong when facts (and so the pseudonym key) are off. It never
//! leaves the database except into the service's memory, and is not logged (`Debug` hides it).
//! Instances of a release before the keyed locks derive other keys: stop them all before
//! starting this one on the same database.

use super::codec::Keys;
use super::Received;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::BTreeSet;
use std::fmt;

/// Derives the advisory-lock keys of one database (see the module doc).
#[derive(Clone)]
pub(crate) struct LockKeys {
    mac: Hmac<Sha256>,
}

impl fmt::Debug for LockKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LockKeys(***)")
    }
}

impl LockKeys {
    /// Keys derived with `secret` (the `lock_secret` row).
    pub(crate) fn new(secret: &[u8]) -> LockKeys {
        LockKeys {
            mac: Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length"),
        }
    }

    /// One 64-bit key: the first 8 bytes of the HMAC over the parts, each followed by a unit
    /// separator so ("ab", "") and ("a", "b") differ.
    fn key(&self, parts: &[&str]) -> i64 {
        let mut mac = self.mac.clone();
        for p in parts {
            mac.update(p.as_bytes());
            mac.update(&[0x1f]);
        }
        let d = mac.finalize().into_bytes();
        let mut b = [0u8; 8];
        b.copy_from_slice(&d[..8]);
        i64::from_be_bytes(b)
    }

    /// A message's locks in the order they are taken: its (sender, kind, identificatie) first,
    /// so redeliveries of one message and reuses of its identification are judged one after
    /// the other, then its state's (sorted), so transactions never wait for each other in a
    /// circle.
    pub(crate) fn message(&self, received: &Received) -> Vec<i64> {
        let mut locks = vec![self.key(&[
            "message",
            &received.sender,
            &super::codec::kind_code(received.kind),
            &received.identificatie,
        ])];
        locks.extend(self.entities(&Keys::new(received)));
        locks
    }

    /// Every state key the message reads or writes, sorted so that two transactions always
    /// take them in the same order (no deadlocks). Scopes are as wide as the state they
    /// protect: a client per domain (any gemeente, any provider), a ToewijzingNummer per
    /// gemeente, provider references per provider, and the provider's declarations to the
    /// gemeente (TR318 compares periods across declaration numbers).
    pub(crate) fn entities(&self, keys: &Keys) -> Vec<i64> {
        let s = keys.standard();
        let mut out = BTreeSet::new();
        for bsn in &keys.bsns {
            out.insert(self.key(&["bsn", s, bsn]));
        }
        for n in &keys.toewijzing_nummers {
            out.insert(self.key(&["toewijzing", s, &keys.gemeente, &n.to_string()]));
        }
        for r in &keys.referenties {
            out.insert(self.key(&["referentie", s, &keys.agb, r]));
        }
        for r in &keys.referentie_nummers {
            out.insert(self.key(&["referentienummer", s, &keys.agb, r]));
        }
        if let Some(d) = &keys.declaratie_nummer {
            out.insert(self.key(&["declaratienummer", s, &keys.agb, d]));
            out.insert(self.key(&["declaraties", s, &keys.agb, &keys.gemeente]));
        }
        out.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;

    #[test]
    fn keys_are_stable_and_distinct() {
        let k = LockKeys::new(b"secret");
        assert_eq!(k.key(&["a", "b"]), k.key(&["a", "b"]));
        assert_ne!(k.key(&["a", "b"]), k.key(&["ab", ""]));
        assert_ne!(k.key(&["bsn", "ijw", "1"]), k.key(&["bsn", "iwmo", "1"]));
    }

    #[test]
    fn keys_depend_on_the_secret_and_are_not_the_plain_hash() {
        let parts = ["bsn", "ijw", "999993653"];
        let a = LockKeys::new(b"one secret").key(&parts);
        assert_ne!(a, LockKeys::new(b"another secret").key(&parts));
        // the unkeyed derivation of earlier releases, which anyone could recompute
        let mut h = sha2::Sha256::new();
        for p in parts {
            h.update(p.as_bytes());
            h.update([0x1f]);
        }
        let d = h.finalize();
        let plain = i64::from_be_bytes(d[..8].try_into().unwrap());
        assert_ne!(a, plain);
    }

    #[test]
    fn debug_hides_the_secret() {
        assert_eq!(format!("{:?}", LockKeys::new(b"s3cr3t")), "LockKeys(***)");
    }
}
