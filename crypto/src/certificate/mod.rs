//! Organisation certificates and signed statements (docs/PROTOCOL.md §16).
//!
//! A ministry or company holds an organisation key ([`IssuerKeyPair`]) that
//! apps trust as a [`TrustAnchor`]. It signs [`Statement`]s: certificates
//! of account keys with attributes ([`Claim`]s: display name, unit, role),
//! intermediate certificates of other issuer keys, and statements about
//! anything else, each with a serial and a validity period. A
//! [`Presentation`] carries a leaf statement and at most one intermediate;
//! [`Presentation::verify`] checks it against the anchors, the clock and
//! the issuers' [`RevocationList`]s, and says which organisation vouches
//! ([`Verified::label`]: "verified by ⟨organisation⟩") only when the
//! whole chain holds. Presentations have a compact binary form and a QR
//! text form (base45, QR alphanumeric mode) that a scanner checks offline.
//!
//! ```
//! use qorgan::account::AccountKeyPair;
//! use qorgan::certificate::{Claim, IssuerKeyPair, Presentation, Statement, TrustAnchor};
//!
//! let mut rng = qorgan::SystemRng::new()?;
//! let ministry = IssuerKeyPair::generate(&mut rng);
//! let anchor = TrustAnchor::new(*ministry.public(), "Ministry of Defence");
//! let colonel = AccountKeyPair::generate(&mut rng);
//! let claims = vec![Claim::display_name("Colonel N.")?, Claim::unit("Staff")?];
//! let cert = Statement::certify_account(&ministry, colonel.public(), 7, 0, 2_000_000_000, claims)?;
//! let text = Presentation::new(vec![cert])?.to_text();
//! // A gate scanner, offline:
//! let verified = Presentation::from_text(&text)?.verify_account(colonel.public(), &[anchor], &[], 1_800_000_000)?;
//! assert_eq!(verified.label(), "verified by Ministry of Defence");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod claim;
mod issuer;
mod presentation;
mod revocation;
mod statement;
mod text;

pub use claim::{Claim, ClaimTag};
pub use issuer::{ISSUER_KEY_LEN, IssuerKey, IssuerKeyPair, TrustAnchor};
pub use presentation::{Presentation, RevocationStatus, Verified};
pub use revocation::RevocationList;
pub use statement::{MAX_STATEMENT_LEN, Statement, StatementKind};
pub use text::STATEMENT_TEXT_PREFIX;
