//! A small little-endian binary codec for the usage index: fixed-width numbers and
//! length-prefixed bytes. Decoding never panics; it fails on the first byte that does not fit.

/// Appends values to a byte buffer.
#[derive(Default)]
pub struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn f64(&mut self, v: f64) {
        self.u64(v.to_bits());
    }
    /// An unsigned number in 1 to 10 bytes (LEB128): small numbers, small bytes.
    pub fn uv(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }
    /// A signed number as [`Writer::uv`] (zigzag: small magnitudes stay small).
    pub fn iv(&mut self, v: i64) {
        self.uv(((v << 1) ^ (v >> 63)) as u64);
    }
    pub fn bytes(&mut self, v: &[u8]) {
        self.u64(v.len() as u64);
        self.buf.extend_from_slice(v);
    }
}

/// Why a buffer could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub &'static str);

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed index: {}", self.0)
    }
}

impl std::error::Error for Malformed {}

/// Reads values back in the order they were written.
#[derive(Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Bytes not read yet.
    pub fn rest_len(&self) -> usize {
        self.rest.len()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        if self.rest.len() < n {
            return Err(Malformed("ends early"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Malformed> {
        let mut a = [0; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    pub fn u8(&mut self) -> Result<u8, Malformed> {
        Ok(self.take(1)?[0])
    }
    pub fn u32(&mut self) -> Result<u32, Malformed> {
        self.array().map(u32::from_le_bytes)
    }
    pub fn u64(&mut self) -> Result<u64, Malformed> {
        self.array().map(u64::from_le_bytes)
    }
    pub fn i64(&mut self) -> Result<i64, Malformed> {
        self.array().map(i64::from_le_bytes)
    }
    pub fn f64(&mut self) -> Result<f64, Malformed> {
        self.u64().map(f64::from_bits)
    }
    pub fn uv(&mut self) -> Result<u64, Malformed> {
        let mut v = 0u64;
        for (i, &b) in self.rest.iter().enumerate().take(10) {
            v |= u64::from(b & 0x7F) << (7 * i);
            if b & 0x80 == 0 {
                self.rest = &self.rest[i + 1..];
                return Ok(v);
            }
        }
        Err(Malformed(if self.rest.len() < 10 {
            "ends early"
        } else {
            "number too long"
        }))
    }
    pub fn iv(&mut self) -> Result<i64, Malformed> {
        let u = self.uv()?;
        Ok((u >> 1) as i64 ^ -((u & 1) as i64))
    }
    /// A count of items that each take at least `min_size` bytes: a count the rest of the
    /// buffer cannot hold is refused before anything is allocated for it.
    pub fn count(&mut self, min_size: usize) -> Result<usize, Malformed> {
        let n = self.u64()?;
        let n = usize::try_from(n).map_err(|_| Malformed("count too large"))?;
        if n.saturating_mul(min_size.max(1)) > self.rest.len() {
            return Err(Malformed("count larger than the data"));
        }
        Ok(n)
    }
    pub fn bytes(&mut self) -> Result<&'a [u8], Malformed> {
        let n = self.count(1)?;
        self.take(n)
    }
}

/// A fast 64-bit checksum (not cryptographic): it tells a damaged index from a good one. Four
/// independent lanes over 32-byte blocks, so the multiplications overlap.
pub fn checksum(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut lanes: [u64; 4] = [
        0x243F_6A88_85A3_08D3,
        0x1319_8A2E_0370_7344,
        0xA409_3822_299F_31D0,
        0x082E_FA98_EC4E_6C89,
    ];
    let mut blocks = bytes.chunks_exact(32);
    for block in &mut blocks {
        for (lane, word) in lanes.iter_mut().zip(block.chunks_exact(8)) {
            let mut w = [0; 8];
            w.copy_from_slice(word);
            *lane = (*lane ^ u64::from_le_bytes(w))
                .wrapping_mul(K)
                .rotate_left(31);
        }
    }
    let mut h = bytes.len() as u64;
    for lane in lanes {
        h = (h ^ lane).wrapping_mul(K).rotate_left(27);
    }
    for &b in blocks.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3);
    }
    h ^ (h >> 29)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_short_input_is_refused() {
        let mut w = Writer::default();
        w.u8(7);
        w.i64(-5);
        w.f64(1.25);
        w.bytes(b"abc");
        for v in [0, 1, 127, 128, 300, u64::MAX] {
            w.uv(v);
        }
        for v in [0, -1, 1, -64, 64, i64::MIN, i64::MAX] {
            w.iv(v);
        }
        let mut r = Reader::new(&w.buf);
        assert_eq!(r.u8(), Ok(7));
        assert_eq!(r.i64(), Ok(-5));
        assert_eq!(r.f64(), Ok(1.25));
        assert_eq!(r.bytes(), Ok(&b"abc"[..]));
        for v in [0, 1, 127, 128, 300, u64::MAX] {
            assert_eq!(r.uv(), Ok(v));
        }
        for v in [0, -1, 1, -64, 64, i64::MIN, i64::MAX] {
            assert_eq!(r.iv(), Ok(v));
        }
        assert!(r.is_empty());
        assert_eq!(r.u8(), Err(Malformed("ends early")));

        let mut huge = Writer::default();
        huge.u64(u64::MAX / 2);
        assert!(Reader::new(&huge.buf).count(8).is_err());
    }

    #[test]
    fn checksum_sees_a_changed_byte() {
        let a = vec![1u8; 100];
        let mut b = a.clone();
        b[57] = 2;
        assert_ne!(checksum(&a), checksum(&b));
        assert_ne!(checksum(&a[..99]), checksum(&a));
        // A change in any lane, and two words swapped between lanes.
        for at in [0, 8, 16, 24, 40, 99] {
            let mut c = a.clone();
            c[at] = 7;
            assert_ne!(checksum(&a), checksum(&c), "byte {at}");
        }
        let mut swapped: Vec<u8> = (0..64).collect();
        let original = swapped.clone();
        swapped[..8].copy_from_slice(&original[8..16]);
        swapped[8..16].copy_from_slice(&original[..8]);
        assert_ne!(checksum(&swapped), checksum(&original));
    }
}
