//! gzip (RFC 1952) of request bodies with one reused deflate state.
//!
//! Reads: an encoded request. Emits: `Content-Encoding: gzip` bytes in a reused buffer.
//! flate2's `GzEncoder` would allocate a fresh deflate state (hundreds of KiB) per request;
//! here one raw `Compress` at the fast level is reset and reused, and the 10-byte header and
//! 8-byte trailer (CRC-32, length) are written by hand.

use flate2::{Compress, Compression, Crc, FlushCompress, Status};

/// Header: magic, deflate, no flags, no mtime, "fastest" (xfl 4), OS unknown (255).
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255];

/// A reusable gzip compressor.
pub struct Gzip {
    deflate: Compress,
}

impl std::fmt::Debug for Gzip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Gzip")
    }
}

impl Gzip {
    pub fn new() -> Self {
        Gzip {
            deflate: Compress::new(Compression::fast(), false),
        }
    }

    /// Replaces `out` with the gzip member of `input`; false (and `out` unusable) only if
    /// deflate reports an error, which plain bytes never cause: the caller then sends
    /// `input` uncompressed.
    pub fn compress(&mut self, input: &[u8], out: &mut Vec<u8>) -> bool {
        self.deflate.reset();
        out.clear();
        out.extend_from_slice(&HEADER);
        // Deflate never grows data by more than ~0.1% plus a few bytes per block.
        out.reserve(input.len() + input.len() / 512 + 64);
        loop {
            let consumed = usize::try_from(self.deflate.total_in())
                .unwrap_or(input.len())
                .min(input.len());
            match self
                .deflate
                .compress_vec(&input[consumed..], out, FlushCompress::Finish)
            {
                Ok(Status::StreamEnd) => break,
                Ok(_) => out.reserve(out.capacity().max(1024)),
                Err(_) => return false,
            }
        }
        let mut crc = Crc::new();
        crc.update(input);
        out.extend_from_slice(&crc.sum().to_le_bytes());
        // ISIZE is the length modulo 2^32 (RFC 1952).
        out.extend_from_slice(&(input.len() as u32).to_le_bytes());
        true
    }
}

impl Default for Gzip {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn round_trips_through_a_standard_decoder_and_reuses_state() {
        let mut gz = Gzip::new();
        let mut out = Vec::new();
        let text: Vec<u8> = (0..20_000u32)
            .flat_map(|i| format!("system.cpu.time {i}\n").into_bytes())
            .collect();
        for input in [&text[..], b"", b"a", &text[..100]] {
            assert!(gz.compress(input, &mut out));
            assert_eq!(gunzip(&out), input);
        }
        assert!(gz.compress(&text, &mut out));
        assert!(
            out.len() < text.len() / 4,
            "{} of {}",
            out.len(),
            text.len()
        );
    }
}
