//! A minimal codec for the store's own records (docs/PROTOCOL.md §17.2):
//! big-endian integers, `u32`-prefixed byte strings. Records live only
//! inside sealed values; decoding still refuses anything malformed.

use crate::StoreError;

/// Writes a record.
#[derive(Default)]
pub(crate) struct Out(pub(crate) Vec<u8>);

impl Out {
    pub(crate) fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }

    pub(crate) fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub(crate) fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub(crate) fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.u32(u32::try_from(v.len()).unwrap_or(u32::MAX));
        self.0.extend_from_slice(v);
        self
    }
}

/// Reads a record.
pub(crate) struct In<'a>(pub(crate) &'a [u8]);

fn bad() -> StoreError {
    StoreError::Corrupt("malformed record".into())
}

impl<'a> In<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], StoreError> {
        if self.0.len() < n {
            return Err(bad());
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, StoreError> {
        self.take(1)?.first().copied().ok_or_else(bad)
    }

    pub(crate) fn u32(&mut self) -> Result<u32, StoreError> {
        let b: [u8; 4] = self.take(4)?.try_into().map_err(|_| bad())?;
        Ok(u32::from_be_bytes(b))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, StoreError> {
        let b: [u8; 8] = self.take(8)?.try_into().map_err(|_| bad())?;
        Ok(u64::from_be_bytes(b))
    }

    /// A flag: 0 or 1, nothing else (one encoding per record).
    pub(crate) fn flag(&mut self) -> Result<bool, StoreError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(bad()),
        }
    }

    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], StoreError> {
        let n = self.u32()? as usize;
        self.take(n)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], StoreError> {
        self.take(N)?.try_into().map_err(|_| bad())
    }

    pub(crate) fn finish(self) -> Result<(), StoreError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(bad())
        }
    }
}
