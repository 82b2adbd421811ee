//! When a sender must start a new chain.

/// Why a rotation is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RotationReason {
    /// A member left or was removed: they hold the current chain key.
    MemberRemoved,
    /// The chain carried the policy's maximum number of messages.
    MessageLimit,
    /// The chain is older than the policy's maximum age.
    Age,
    /// The group's roster changed (members added, or roles changed): every
    /// chain is bound to one roster, so the next message needs a chain
    /// under the new one (§15.4).
    RosterChanged,
}

impl core::fmt::Display for RotationReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::MemberRemoved => "a member was removed",
            Self::MessageLimit => "message limit reached",
            Self::Age => "chain too old",
            Self::RosterChanged => "the group's roster changed",
        })
    }
}

/// Rotation rules of one outbound group session. `encrypt` refuses to send
/// once a member was removed or the message limit is reached, so neither can
/// be forgotten; age needs the caller's clock and is reported by
/// `OutboundGroupSession::rotation_due(now)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RotationPolicy {
    /// Messages per chain before a rotation is required.
    pub max_messages: u32,
    /// Seconds a chain may be used before a rotation is due.
    pub max_age_secs: u64,
}

impl RotationPolicy {
    /// 1000 messages or one week, whichever comes first.
    pub const DEFAULT: Self = Self {
        max_messages: 1000,
        max_age_secs: 7 * 24 * 3600,
    };
}

impl Default for RotationPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}
