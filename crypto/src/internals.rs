//! Secret internals for the protocol-vector generator and spec checks.
//!
//! Compiled only with the non-default `hazmat-internals` feature. Nothing in
//! an application needs it: it exposes root, chain and message keys.

use alloc::vec::Vec;

use crate::primitives::x25519::SharedSecret;
use crate::ratchet::chain_key::ChainKey;
use crate::ratchet::root_key::RootKey;
use crate::session::Session;

/// A session's secret state, copied out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSecrets {
    /// Transcript hash.
    pub session_id: [u8; 32],
    /// Current root key.
    pub root_key: [u8; 32],
    /// Our current ratchet secret, if a sending chain exists.
    pub our_ratchet_secret: Option<[u8; 32]>,
    /// The peer's current ratchet public key.
    pub their_ratchet: [u8; 32],
    /// Sending chain key and its next index.
    pub sending_chain: Option<([u8; 32], u32)>,
    /// Receiving chain key and its next index.
    pub receiving_chain: Option<([u8; 32], u32)>,
    /// Stored skipped keys: (ratchet key, index, message key).
    pub skipped: Vec<([u8; 32], u32, [u8; 32])>,
}

/// Copies the secret state out of `session`.
pub fn session_secrets(session: &Session) -> SessionSecrets {
    let chain = |c: &Option<ChainKey>| c.as_ref().map(|c| (*c.as_bytes(), c.index()));
    SessionSecrets {
        session_id: session.session_id,
        root_key: *session.root.as_bytes(),
        our_ratchet_secret: session.our_ratchet.as_ref().map(|p| *p.secret.to_bytes()),
        their_ratchet: *session.their_ratchet.as_bytes(),
        sending_chain: chain(&session.sending),
        receiving_chain: chain(&session.receiving),
        skipped: session
            .skipped
            .chains()
            .flat_map(|c| {
                c.keys
                    .iter()
                    .map(|(i, k)| (*c.ratchet.as_bytes(), *i, *k.as_bytes()))
            })
            .collect(),
    }
}

/// `KDF_RK(rk, dh) -> (rk', ck)`.
pub fn kdf_rk(root_key: &[u8; 32], dh_output: &[u8; 32]) -> ([u8; 32], [u8; 32]) {
    let (root, chain) = RootKey::new(*root_key).advance(&SharedSecret::from_bytes(*dh_output));
    (*root.as_bytes(), *chain.as_bytes())
}

/// `KDF_CK(ck) -> (mk, ck')`.
pub fn kdf_ck(chain_key: &[u8; 32]) -> ([u8; 32], [u8; 32]) {
    let mut chain = ChainKey::new(*chain_key, 0);
    let mk = chain.step();
    (*mk.as_bytes(), *chain.as_bytes())
}
