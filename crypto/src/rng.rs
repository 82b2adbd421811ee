//! The default randomness source.

use core::convert::Infallible;

use chacha20::ChaCha20Rng;
use rand_core::{Rng, SeedableRng, TryCryptoRng, TryRng};

use crate::error::RngError;

/// Operating-system randomness with a fallback that makes it infallible.
///
/// Every request is served by the OS generator (`getrandom`). Construction
/// fails if the OS generator is unavailable; if it later fails for a single
/// request (which the platforms qorgan targets never do after start-up), that
/// request is served by a ChaCha20 generator seeded from the OS at
/// construction, so no call ever panics and the output stays unpredictable.
pub struct SystemRng {
    fallback: ChaCha20Rng,
}

impl SystemRng {
    /// Seeds the fallback from the OS.
    pub fn new() -> Result<Self, RngError> {
        let mut seed = zeroize::Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut()).map_err(|_| RngError)?;
        Ok(Self {
            fallback: ChaCha20Rng::from_seed(*seed),
        })
    }
}

impl TryRng for SystemRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        if getrandom::fill(dst).is_err() {
            self.fallback.fill_bytes(dst);
        }
        Ok(())
    }
}

impl TryCryptoRng for SystemRng {}

impl core::fmt::Debug for SystemRng {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SystemRng")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_rng_gives_fresh_bytes() {
        let mut rng = SystemRng::new().unwrap();
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        rng.fill_bytes(&mut a);
        rng.fill_bytes(&mut b);
        assert_ne!(a, b);
        assert_ne!(a, [0u8; 32]);
        assert_eq!(alloc::format!("{rng:?}"), "SystemRng");
    }
}
