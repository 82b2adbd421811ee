//! Fixed-layout binary reading and writing. Every integer is big-endian; every
//! variable-length field has a length prefix checked against a documented limit
//! before any allocation.

use crate::error::DecodeError;
use alloc::vec::Vec;

/// A cursor over untrusted bytes. Every read is bounds-checked and returns a
/// typed error; nothing here can panic.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.rest.len()
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.rest.len() < n {
            return Err(DecodeError::Truncated {
                needed: n - self.rest.len(),
            });
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    pub(crate) fn u24(&mut self) -> Result<u32, DecodeError> {
        let [a, b, c] = self.array::<3>()?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    pub(crate) fn bool(&mut self) -> Result<bool, DecodeError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(DecodeError::InvalidField("boolean")),
        }
    }

    /// A `u32`-prefixed byte string of at most `limit` bytes.
    pub(crate) fn bytes(
        &mut self,
        field: &'static str,
        limit: usize,
    ) -> Result<&'a [u8], DecodeError> {
        let len = self.u32()? as usize;
        if len > limit {
            return Err(DecodeError::TooLong { field, len, limit });
        }
        self.take(len)
    }

    /// A `u32` element count of at most `limit`, also bounded by what the
    /// remaining input could hold at `min_item_size` bytes each, so a forged
    /// count never drives a large allocation.
    pub(crate) fn count(
        &mut self,
        field: &'static str,
        limit: usize,
        min_item_size: usize,
    ) -> Result<usize, DecodeError> {
        let len = self.u32()? as usize;
        if len > limit {
            return Err(DecodeError::TooLong { field, len, limit });
        }
        let need = len.saturating_mul(min_item_size.max(1));
        if need > self.rest.len() {
            return Err(DecodeError::Truncated {
                needed: need - self.rest.len(),
            });
        }
        Ok(len)
    }

    pub(crate) fn finish(self) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes(self.rest.len()))
        }
    }

    pub(crate) fn rest(self) -> &'a [u8] {
        self.rest
    }
}

/// Appends fixed-layout fields to a buffer.
///
/// Encoded state holds secrets, so the buffer never grows by reallocation
/// (which would free the old block with the secrets still in it): when it
/// is full, the contents move to a block twice the size and the old block
/// is wiped before it is freed.
pub(crate) struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub(crate) fn with_capacity(n: usize) -> Self {
        Self {
            buf: Vec::with_capacity(n),
        }
    }

    fn extend(&mut self, v: &[u8]) {
        let needed = self.buf.len().saturating_add(v.len());
        if needed > self.buf.capacity() {
            let mut grown = Vec::with_capacity(needed.max(self.buf.capacity().saturating_mul(2)));
            grown.extend_from_slice(&self.buf);
            let mut old = core::mem::replace(&mut self.buf, grown);
            zeroize::Zeroize::zeroize(&mut old);
        }
        self.buf.extend_from_slice(v);
    }

    pub(crate) fn u8(&mut self, v: u8) -> &mut Self {
        self.extend(&[v]);
        self
    }

    pub(crate) fn u32(&mut self, v: u32) -> &mut Self {
        self.extend(&v.to_be_bytes());
        self
    }

    pub(crate) fn u64(&mut self, v: u64) -> &mut Self {
        self.extend(&v.to_be_bytes());
        self
    }

    pub(crate) fn bool(&mut self, v: bool) -> &mut Self {
        self.u8(u8::from(v))
    }

    pub(crate) fn raw(&mut self, v: &[u8]) -> &mut Self {
        self.extend(v);
        self
    }

    /// A `u32`-prefixed byte string. Callers only pass fields whose limits are
    /// far below `u32::MAX`.
    pub(crate) fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.u32(u32::try_from(v.len()).unwrap_or(u32::MAX));
        self.raw(v)
    }

    pub(crate) fn count(&mut self, n: usize) -> &mut Self {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX))
    }

    pub(crate) fn into_vec(self) -> Vec<u8> {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_reports_truncation_and_trailing_bytes() {
        let mut r = Reader::new(&[1, 2, 3, 4, 5]);
        assert_eq!(r.u24(), Ok(0x010203));
        assert_eq!(r.u24(), Err(DecodeError::Truncated { needed: 1 }));
        let r = Reader::new(&[1, 2]);
        assert_eq!(r.finish(), Err(DecodeError::TrailingBytes(2)));
    }

    #[test]
    fn u24_reads_its_range_edges() {
        assert_eq!(Reader::new(&[0, 0, 0]).u24(), Ok(0));
        assert_eq!(Reader::new(&[0xFF, 0xFF, 0xFF]).u24(), Ok(0xFF_FFFF));
    }

    #[test]
    fn writer_grows_past_its_capacity_estimate() {
        let mut w = Writer::with_capacity(1);
        for i in 0..100u8 {
            w.u8(i).u32(7);
        }
        let v = w.into_vec();
        assert_eq!(v.len(), 500);
        assert_eq!(&v[..5], &[0, 0, 0, 0, 7]);
    }

    #[test]
    fn forged_counts_are_rejected_before_allocation() {
        let mut w = Writer::with_capacity(8);
        w.u32(1_000_000);
        let bytes = w.into_vec();
        assert!(matches!(
            Reader::new(&bytes).count("items", 10, 1),
            Err(DecodeError::TooLong {
                len: 1_000_000,
                limit: 10,
                ..
            })
        ));
        assert!(matches!(
            Reader::new(&bytes).count("items", 2_000_000, 32),
            Err(DecodeError::Truncated { .. })
        ));
        assert!(matches!(
            Reader::new(&[2]).bool(),
            Err(DecodeError::InvalidField("boolean"))
        ));
    }
}
