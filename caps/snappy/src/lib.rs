//! The snappy cap's component: `pylon:snappy/codec` over the `snap` crate.
//!
//! Stateless on purpose: a stream's buffered bytes and whether its identifier was seen
//! live in the Python facade, so the component can be linked at launch. Decoding frames
//! is `snap`'s own reader; the component only finds where the complete chunks end.
//! Encoding writes the chunks itself, because `snap`'s writer cannot force or forbid
//! compression as python-snappy's `add_chunk(compress=...)` can.
//! Built for wasm32-wasip2 by `cargo pylon compose`; on other targets the crate is empty.

#![cfg(target_family = "wasm")]

use std::io::Read;

use snap::raw::{decompress_len, max_compress_len, Decoder, Encoder};

wit_bindgen::generate!({ world: "snappy-provider", path: "wit" });

struct Cap;

export!(Cap);

/// The framing format's stream identifier chunk: type 0xff, length 6, "sNaPpY".
const STREAM_IDENTIFIER: &[u8] = b"\xff\x06\x00\x00sNaPpY";
/// Uncompressed bytes per chunk (the format's limit).
const CHUNK: usize = 1 << 16;
const COMPRESSED: u8 = 0x00;
const UNCOMPRESSED: u8 = 0x01;
/// The most bytes one byte of a raw block can expand to: a 2-byte copy yields at most 11
/// bytes, a 3-byte copy 64 (21.3 per byte), a 5-byte copy 64. A header that declares
/// more than this of its block's size is corrupt, whatever the bytes after it say.
const MAX_EXPANSION: usize = 22;

/// A zeroed buffer of `len` bytes, or an error when memory cannot hold it: allocation
/// failure in a component aborts (a trap that would kill the interpreter), so every
/// buffer sized by the input is reserved fallibly first.
fn buffer(len: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    out.try_reserve_exact(len)
        .map_err(|_| format!("cannot allocate {len} bytes"))?;
    out.resize(len, 0);
    Ok(out)
}

/// The framing format's checksum: CRC-32C, rotated and offset so that a CRC of data
/// containing CRCs stays well distributed.
fn masked_crc(data: &[u8]) -> u32 {
    let crc = crc32c::crc32c(data);
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

fn push_chunk(out: &mut Vec<u8>, kind: u8, crc: u32, body: &[u8]) {
    // A chunk body is at most 64 KiB of compressed data plus its CRC: 3 bytes of length.
    let len = (body.len() + 4) as u32;
    out.push(kind);
    out.extend_from_slice(&len.to_le_bytes()[..3]);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(body);
}

/// The end of the last complete chunk in `data`, checking chunk types on the way.
fn complete_chunks(data: &[u8], identified: bool) -> Result<usize, String> {
    let mut pos = 0;
    while let Some(header) = data.get(pos..pos + 4) {
        let kind = header[0];
        if pos == 0 && !identified && kind != 0xff {
            return Err("stream missing snappy identifier".into());
        }
        if (0x02..=0x7f).contains(&kind) {
            return Err(format!(
                "stream has an unskippable chunk of unknown type {kind:#04x}"
            ));
        }
        let len = u32::from_le_bytes([header[1], header[2], header[3], 0]) as usize;
        if data.len() - pos - 4 < len {
            break;
        }
        pos += 4 + len;
    }
    Ok(pos)
}

/// A raw block, decoded into a buffer sized (and bounded) by its header.
fn decode_block(data: &[u8]) -> Result<Vec<u8>, String> {
    let len = decompress_len(data).map_err(|e| e.to_string())?;
    if len > data.len().saturating_mul(MAX_EXPANSION) {
        return Err(format!(
            "corrupt input: the header declares {len} bytes, more than {} bytes of block can hold",
            data.len()
        ));
    }
    let mut out = buffer(len)?;
    let written = Decoder::new()
        .decompress(data, &mut out)
        .map_err(|e| e.to_string())?;
    out.truncate(written);
    Ok(out)
}

fn encode_block(encoder: &mut Encoder, data: &[u8]) -> Result<Vec<u8>, String> {
    let bound = max_compress_len(data.len());
    if bound == 0 && !data.is_empty() {
        return Err(format!(
            "{} bytes are more than one Snappy block can hold",
            data.len()
        ));
    }
    let mut out = buffer(bound)?;
    let written = encoder
        .compress(data, &mut out)
        .map_err(|e| e.to_string())?;
    out.truncate(written);
    Ok(out)
}

impl exports::pylon::snappy::codec::Guest for Cap {
    fn compress(data: Vec<u8>) -> Result<Vec<u8>, String> {
        encode_block(&mut Encoder::new(), &data)
    }

    fn decompress(data: Vec<u8>) -> Result<Vec<u8>, String> {
        decode_block(&data)
    }

    fn is_valid_compressed(data: Vec<u8>) -> bool {
        decode_block(&data).is_ok()
    }

    fn frame_compress(data: Vec<u8>, compress: Option<bool>) -> Result<Vec<u8>, String> {
        let mut encoder = Encoder::new();
        // Each chunk costs 8 header bytes at most beyond its body.
        let mut out = Vec::new();
        out.try_reserve(data.len() / 2 + 16)
            .map_err(|_| format!("cannot allocate for {} bytes of input", data.len()))?;
        for chunk in data.chunks(CHUNK) {
            let crc = masked_crc(chunk);
            let packed = match compress {
                Some(false) => None,
                _ => Some(encode_block(&mut encoder, chunk)?),
            };
            let body = match &packed {
                Some(packed)
                    if compress == Some(true) || packed.len() <= chunk.len() - chunk.len() / 8 =>
                {
                    (COMPRESSED, packed.as_slice())
                }
                _ => (UNCOMPRESSED, chunk),
            };
            out.try_reserve(body.1.len() + 8)
                .map_err(|_| "cannot allocate the compressed stream".to_string())?;
            push_chunk(&mut out, body.0, crc, body.1);
        }
        Ok(out)
    }

    fn frame_decompress(data: Vec<u8>, identified: bool) -> Result<(Vec<u8>, u32), String> {
        let end = complete_chunks(&data, identified)?;
        let mut out = Vec::new();
        if end > 0 {
            // snap's reader wants a whole stream: give it the identifier it has not seen.
            let head = if identified { STREAM_IDENTIFIER } else { &[] };
            let mut reader = snap::read::FrameDecoder::new(head.chain(&data[..end]));
            // A chunk decodes to 64 KiB at most; the output grows fallibly, a chunk at a time.
            let mut block = vec![0; CHUNK];
            loop {
                let n = reader.read(&mut block).map_err(|e| e.to_string())?;
                if n == 0 {
                    break;
                }
                out.try_reserve(n)
                    .map_err(|_| "cannot allocate the decompressed stream".to_string())?;
                out.extend_from_slice(&block[..n]);
            }
        }
        Ok((
            out,
            u32::try_from(end).map_err(|_| "a stream buffer above 4 GiB".to_string())?,
        ))
    }
}
