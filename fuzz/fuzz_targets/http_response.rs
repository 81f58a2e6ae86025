#![no_main]
//! The HTTP response parser of WARC `response` records (status line, headers, chunked
//! transfer coding, gzip/deflate content codings) and the text decoder (BOM, charset label,
//! `<meta>` prescan, detection) over arbitrary bytes.

use libfuzzer_sys::fuzz_target;
use tamis_io::http::{decode_text, parse_response, HttpError};

/// Small, so that inflation bombs hit the bound instead of libFuzzer's RSS limit.
const MAX_BODY: usize = 1 << 16;

fuzz_target!(|data: &[u8]| {
    match parse_response(data, MAX_BODY) {
        Ok(resp) => {
            assert!(resp.body.len() <= MAX_BODY, "the body bound holds");
            let (_, enc) = decode_text(&resp.body, resp.header("Content-Type"));
            assert!(!enc.is_empty());
        }
        Err(HttpError::TooLarge(n)) => assert_eq!(n, MAX_BODY),
        Err(HttpError::UnsupportedEncoding(_)) => {}
    }
    // The decoder alone, with the first line as a Content-Type.
    let (ctype, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (
            Some(String::from_utf8_lossy(&data[..i]).into_owned()),
            &data[i + 1..],
        ),
        None => (None, data),
    };
    let (text, _) = decode_text(body, ctype.as_deref());
    // Valid UTF-8 without a BOM comes back unchanged.
    if let Ok(s) = std::str::from_utf8(body) {
        if !s.starts_with('\u{feff}') {
            assert_eq!(text, s);
        }
    }
});
