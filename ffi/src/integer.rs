//! Integers at the language edge.
//!
//! Every integer in the API is a signed 64-bit number: Kotlin `Long`, Swift
//! `Int64`, Python `int`. Kotlin's unsigned types (`UInt`, `ULong`) are
//! inline value classes: a function or constructor with one among its
//! parameters gets a JVM name with a hash suffix (`accept-9ZK9uFE`) or a
//! synthetic constructor, which Java cannot call, and a record holding one
//! has getters Java cannot name. Three kinds of numbers cross:
//!
//! - Quantities (counts, limits; 32-bit in the library) and 32-bit
//!   identifiers (chain ids, iterations, prekey ids): results widen without
//!   loss; an argument below 0 or above `u32::MAX` is refused
//!   (`InvalidArgument`).
//! - Times and durations (Unix seconds): a negative argument is refused
//!   (`InvalidArgument`); a result at or above 2^63 (only a foreign signer
//!   can write one: a statement's validity, a revocation list's dates)
//!   reads as `i64::MAX`, "never".
//! - 64-bit identifiers (generations, serials, device-list versions, roster
//!   epochs, the store's counter): their 64 bits, as Java keeps an unsigned
//!   long (`Long.toUnsignedString`). A value at or above 2^63 reads as a
//!   negative number and goes back unchanged, so every identifier round-trips
//!   exactly: a revocation check on a serial, a rollback check on a
//!   generation, a continuity check on a version. Saturating them would make
//!   distinct values equal (a revoked serial reading as another).

use crate::error::QorganError;

/// A time or a duration from the app.
pub(crate) fn u64_arg(value: i64, what: &str) -> Result<u64, QorganError> {
    u64::try_from(value).map_err(|_| QorganError::InvalidArgument {
        reason: format!("{what} must not be negative (got {value})"),
    })
}

/// A 32-bit argument (a count, a limit).
pub(crate) fn u32_arg(value: i64, what: &str) -> Result<u32, QorganError> {
    u32::try_from(value).map_err(|_| QorganError::InvalidArgument {
        reason: format!("{what} must be between 0 and {} (got {value})", u32::MAX),
    })
}

/// A 64-bit identifier from the app: its bits.
pub(crate) fn id_arg(value: i64) -> u64 {
    value.cast_unsigned()
}

/// A 64-bit identifier to the app: its bits.
pub(crate) fn from_id(value: u64) -> i64 {
    value.cast_signed()
}

/// A time or a duration to the app, saturating at `i64::MAX`.
pub(crate) fn from_u64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A 32-bit result.
pub(crate) fn from_u32(value: u32) -> i64 {
    i64::from(value)
}

/// A size or count held as `usize`, saturating at `i64::MAX`.
pub(crate) fn from_usize(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_refused_outside_their_range_and_results_saturate() {
        assert_eq!(u64_arg(0, "now").ok(), Some(0));
        assert_eq!(u64_arg(i64::MAX, "now").ok(), Some(i64::MAX as u64));
        assert!(matches!(
            u64_arg(-1, "now"),
            Err(QorganError::InvalidArgument { reason }) if reason == "now must not be negative (got -1)"
        ));
        assert_eq!(u32_arg(i64::from(u32::MAX), "count").ok(), Some(u32::MAX));
        assert!(u32_arg(i64::from(u32::MAX) + 1, "count").is_err());
        assert!(u32_arg(-1, "count").is_err());
        assert_eq!(from_u64(i64::MAX as u64), i64::MAX);
        assert_eq!(from_u64(u64::MAX), i64::MAX);
        assert_eq!(from_u32(u32::MAX), 4_294_967_295);
        for id in [0, 1, i64::MAX as u64, 1 << 63, u64::MAX] {
            assert_eq!(id_arg(from_id(id)), id);
        }
        assert_eq!(from_id(u64::MAX), -1);
    }
}
