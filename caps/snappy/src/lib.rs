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

use snap::raw::{Decoder, Encoder};

wit_bindgen::generate!({ world: "snappy-provider", path: "wit" });

struct Cap;

export!(Cap);

/// The framing format's stream identifier chunk: type 0xff, length 6, "sNaPpY".
const STREAM_IDENTIFIER: &[u8] = b"\xff\x06\x00\x00sNaPpY";
/// Uncompressed bytes per chunk (the format's limit).
const CHUNK: usize = 1 << 16;
const COMPRESSED: u8 = 0x00;
const UNCOMPRESSED: u8 = 0x01;

/// The framing format's checksum: CRC-32C, rotated and offset so that a CRC of data
/// containing CRCs stays well distributed.
fn masked_crc(data: &[u8]) -> u32 {
    let crc = crc32c::crc32c(data);
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

fn push_chunk(out: &mut Vec<u8>, kind: u8, crc: u32, body: &[u8]) {
    let len = u32::try_from(body.len() + 4).expect("chunk bodies are at most 64 KiB");
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
            return Err(format!("stream has an unskippable chunk of unknown type {kind:#04x}"));
        }
        let len = u32::from_le_bytes([header[1], header[2], header[3], 0]) as usize;
        if data.len() - pos - 4 < len {
            break;
        }
        pos += 4 + len;
    }
    Ok(pos)
}

impl exports::pylon::snappy::codec::Guest for Cap {
    fn compress(data: Vec<u8>) -> Vec<u8> {
        Encoder::new().compress_vec(&data).expect("snappy compresses any input below 4 GiB")
    }

    fn decompress(data: Vec<u8>) -> Result<Vec<u8>, String> {
        Decoder::new().decompress_vec(&data).map_err(|e| e.to_string())
    }

    fn is_valid_compressed(data: Vec<u8>) -> bool {
        Decoder::new().decompress_vec(&data).is_ok()
    }

    fn frame_compress(data: Vec<u8>, compress: Option<bool>) -> Vec<u8> {
        let mut encoder = Encoder::new();
        let mut out = Vec::with_capacity(data.len() / 2 + 16);
        for chunk in data.chunks(CHUNK) {
            let crc = masked_crc(chunk);
            let packed = match compress {
                Some(false) => None,
                _ => Some(encoder.compress_vec(chunk).expect("a chunk is 64 KiB at most")),
            };
            match packed {
                Some(packed) if compress == Some(true) || packed.len() <= chunk.len() - chunk.len() / 8 => {
                    push_chunk(&mut out, COMPRESSED, crc, &packed)
                }
                _ => push_chunk(&mut out, UNCOMPRESSED, crc, chunk),
            }
        }
        out
    }

    fn frame_decompress(data: Vec<u8>, identified: bool) -> Result<(Vec<u8>, u32), String> {
        let end = complete_chunks(&data, identified)?;
        let mut out = Vec::new();
        if end > 0 {
            // snap's reader wants a whole stream: give it the identifier it has not seen.
            let head = if identified { STREAM_IDENTIFIER } else { &[] };
            snap::read::FrameDecoder::new(head.chain(&data[..end]))
                .read_to_end(&mut out)
                .map_err(|e| e.to_string())?;
        }
        Ok((out, u32::try_from(end).map_err(|_| "a stream buffer above 4 GiB".to_string())?))
    }
}
