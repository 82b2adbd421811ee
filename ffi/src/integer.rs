//! Integers at the language edge.
//!
//! Every integer in the API is a signed 64-bit number: Kotlin `Long`, Swift
//! `Int64`, Python `int`. Kotlin's unsigned types (`UInt`, `ULong`) are
//! inline value classes: a function or constructor with one among its
//! parameters gets a JVM name with a hash suffix (`accept-9ZK9uFE`) or a
//! synthetic constructor, which Java cannot call, and a record holding one
//! has getters Java cannot name. Signed 64-bit numbers hold every value the
//! library uses: 32-bit ones (chain ids, iterations, prekey ids, counts)
//! widen without loss; 64-bit ones are Unix times, durations, generations,
//! epochs, counters and serials, which stay below 2^63.
//!
//! - Arguments: a negative number is refused (`InvalidArgument`), and so is
//!   one above `u32::MAX` where the library counts in 32 bits.
//! - Results: 32-bit values widen; a 64-bit value at or above 2^63, which
//!   only a foreign signer can write (a statement's serial or validity, a
//!   revocation list's dates), reads as `i64::MAX` (`Long.MAX_VALUE`:
//!   "never" for a time).

use crate::error::QorganError;

/// A 64-bit argument (a time, a duration, a generation, a serial).
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

/// A list of 64-bit arguments.
pub(crate) fn u64_args(values: &[i64], what: &str) -> Result<Vec<u64>, QorganError> {
    values.iter().map(|&v| u64_arg(v, what)).collect()
}

/// A 64-bit result, saturating at `i64::MAX`.
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
        assert_eq!(u64_args(&[1, 2], "serial").ok(), Some(vec![1, 2]));
        assert!(u64_args(&[1, -2], "serial").is_err());
    }
}
