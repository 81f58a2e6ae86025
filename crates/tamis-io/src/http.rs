//! The HTTP response inside a WARC `response` record, and its text.
//!
//! Follows RFC 9112 (HTTP/1.1 message syntax: status line, header fields, chunked transfer
//! coding) and RFC 9110 (content codings), with the leniency crawled data needs: a status line
//! without a reason phrase, bare LF line ends, a body announced as chunked that is not (used as
//! is, as warcio and browsers do). Text decoding uses the WHATWG Encoding standard's labels
//! (crate `encoding_rs`): a byte-order mark, or bytes that are valid UTF-8, decide first (as in
//! datatrove's WarcReader); then the `Content-Type` charset, else a `<meta>` charset in the
//! first 1,024 bytes (the HTML standard's prescan window), else a guess from the bytes (crate
//! `chardetng`, the detector Firefox uses).

use std::io::Read;

/// A parsed response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body with transfer and content codings removed.
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error("content encoding {0:?} is not supported")]
    UnsupportedEncoding(String),
    #[error("body larger than {0} bytes once decoded")]
    TooLarge(usize),
    #[error("text longer than {0} bytes once decoded from {1} (each byte that is not UTF-8 can take three)")]
    TextTooLarge(usize, &'static str),
}

/// Header lines of an HTTP head that are read; later ones are ignored.
pub const MAX_HTTP_HEADERS: usize = 1024;

/// Parses the block of a `response` record; `max_body` bounds the decoded body (a small
/// compressed body can inflate enormously). Errors only on a body too large or in a content
/// coding tamis does not decode (`br`, `compress`).
pub fn parse_response(block: &[u8], max_body: usize) -> Result<HttpResponse, HttpError> {
    parse_response_owned(block.to_vec(), max_body)
}

/// [`parse_response`] taking the block by value: a body without transfer or content coding
/// (most) becomes [`HttpResponse::body`] in place, without a copy (blocks can be hundreds of
/// megabytes).
pub fn parse_response_owned(
    mut block: Vec<u8>,
    max_body: usize,
) -> Result<HttpResponse, HttpError> {
    // Some crawlers (archive.org's wayback exports) store the page without its HTTP head,
    // after an empty line: status 0, the bytes as the body.
    if let Some(body) = headerless_body(&block) {
        if body.len() > max_body {
            return Err(HttpError::TooLarge(max_body));
        }
        let head = block.len() - body.len();
        block.drain(..head);
        return Ok(HttpResponse {
            status: 0,
            headers: Vec::new(),
            body: block,
        });
    }
    // Like warcio, read whatever head there is: headers that never end take the whole block,
    // and a status line that is not one gives status 0; the caller decides what to keep.
    let head_end = find_head_end(&block).unwrap_or((block.len(), block.len()));
    let head = String::from_utf8_lossy(&block[..head_end.0]);
    let mut lines = head.split('\n').map(|l| l.trim_end_matches('\r'));
    let status_line = lines.next().unwrap_or_default();
    // Any protocol token starting "HTTP" counts (archives hold "HTTPX/1.1" and "http/1.0").
    let mut tokens = status_line.split_whitespace();
    let status = tokens
        .next()
        .filter(|p| p.get(..4).is_some_and(|h| h.eq_ignore_ascii_case("http")))
        .and_then(|_| tokens.next())
        .and_then(|code| code.parse::<u16>().ok())
        .unwrap_or(0);
    let mut headers: Vec<(String, String)> = Vec::new();
    // Only the first headers are kept (tamis reads three of them): a head of millions of
    // lines must not become millions of `String`s.
    for line in lines.take(MAX_HTTP_HEADERS) {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = headers.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    block.drain(..head_end.1);
    let raw = block;
    let mut resp = HttpResponse {
        status,
        headers,
        body: Vec::new(),
    };
    let chunked = resp
        .header("Transfer-Encoding")
        .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"));
    let body = if chunked {
        // Announced as chunked but not: use the bytes as they are.
        match dechunk(&raw) {
            Some(b) => b,
            None => raw,
        }
    } else {
        raw
    };
    resp.body = match resp
        .header("Content-Encoding")
        .map(|e| e.trim().to_ascii_lowercase())
    {
        None => body,
        Some(e) if e.is_empty() || e == "identity" || e == "none" => body,
        // Archives (ClueWeb) keep the header on bodies they stored decoded: a body that does
        // not decode is used as it is, as warcio does.
        Some(e) if e == "gzip" || e == "x-gzip" => {
            match inflate(flate2::read::MultiGzDecoder::new(&body[..]), max_body) {
                Inflated::Ok(b) => b,
                Inflated::TooLarge => return Err(HttpError::TooLarge(max_body)),
                Inflated::Invalid => body,
            }
        }
        Some(e) if e == "deflate" => {
            // Servers send zlib-wrapped or raw deflate under the same name.
            match inflate(flate2::read::ZlibDecoder::new(&body[..]), max_body) {
                Inflated::Ok(b) => b,
                Inflated::TooLarge => return Err(HttpError::TooLarge(max_body)),
                Inflated::Invalid => {
                    match inflate(flate2::read::DeflateDecoder::new(&body[..]), max_body) {
                        Inflated::Ok(b) => b,
                        Inflated::TooLarge => return Err(HttpError::TooLarge(max_body)),
                        Inflated::Invalid => body,
                    }
                }
            }
        }
        Some(e) => return Err(HttpError::UnsupportedEncoding(e)),
    };
    if resp.body.len() > max_body {
        return Err(HttpError::TooLarge(max_body));
    }
    Ok(resp)
}

fn headerless_body(block: &[u8]) -> Option<&[u8]> {
    if let Some(rest) = block
        .strip_prefix(b"\r\n")
        .or_else(|| block.strip_prefix(b"\n"))
    {
        return Some(rest);
    }
    block.starts_with(b"<").then_some(block)
}

/// End of the header section: (end of the last header line, start of the body).
fn find_head_end(b: &[u8]) -> Option<(usize, usize)> {
    let crlf = memchr::memmem::find(b, b"\r\n\r\n").map(|i| (i, i + 4));
    let lf = memchr::memmem::find(b, b"\n\n").map(|i| (i, i + 2));
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

/// Removes chunked transfer coding; `None` when the bytes are not validly chunked.
fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len());
    loop {
        let eol = memchr::memchr(b'\n', b)?;
        let size_field = std::str::from_utf8(&b[..eol]).ok()?.trim();
        let size_hex = size_field.split(';').next()?.trim();
        let size = usize::from_str_radix(size_hex, 16).ok()?;
        b = &b[eol + 1..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = &b[size..];
        // The CRLF after the chunk data.
        b = b.strip_prefix(b"\r\n").or_else(|| b.strip_prefix(b"\n"))?;
    }
}

enum Inflated {
    Ok(Vec<u8>),
    TooLarge,
    Invalid,
}

fn inflate(r: impl Read, max: usize) -> Inflated {
    let mut out = Vec::new();
    match r.take(max as u64 + 1).read_to_end(&mut out) {
        // A body cut short (a truncated record) keeps what decoded, as warcio does.
        Err(_) if !out.is_empty() && out.len() <= max => Inflated::Ok(out),
        Err(_) => Inflated::Invalid,
        Ok(_) if out.len() > max => Inflated::TooLarge,
        Ok(_) => Inflated::Ok(out),
    }
}

/// [`decode_text`] taking the body by value and bounding the text: a body of valid UTF-8
/// without a byte-order mark becomes the text without being copied (bodies can be hundreds of
/// megabytes); a text that would be longer than `max` bytes is refused while decoding (a
/// legacy encoding or undecodable bytes can triple a body's size).
pub fn decode_text_owned(
    body: Vec<u8>,
    content_type: Option<&str>,
    max: usize,
) -> Result<(String, &'static str), HttpError> {
    if encoding_rs::Encoding::for_bom(&body).is_none() {
        match String::from_utf8(body) {
            Ok(text) if text.len() > max => return Err(HttpError::TextTooLarge(max, "UTF-8")),
            Ok(text) => return Ok((text, "UTF-8")),
            Err(e) => return decode_bounded(e.as_bytes(), content_type, max),
        }
    }
    decode_bounded(&body, content_type, max)
}

/// A WET `conversion` block (UTF-8 by the format) as text, invalid sequences replaced by
/// U+FFFD exactly as `String::from_utf8_lossy` does; valid UTF-8 is not copied, and a text
/// that would be longer than `max` bytes is refused.
pub fn utf8_lossy_owned(bytes: Vec<u8>, max: usize) -> Result<String, HttpError> {
    let too_large = || HttpError::TextTooLarge(max, "UTF-8");
    let bytes = match String::from_utf8(bytes) {
        Ok(text) if text.len() > max => return Err(too_large()),
        Ok(text) => return Ok(text),
        Err(e) => e.into_bytes(),
    };
    // Measured first, then allocated once: growing a string by doubling touches up to half
    // as much memory again while it copies.
    let len: usize = bytes
        .utf8_chunks()
        .map(|c| c.valid().len() + if c.invalid().is_empty() { 0 } else { 3 })
        .sum();
    if len > max {
        return Err(too_large());
    }
    let mut out = String::with_capacity(len);
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            out.push(char::REPLACEMENT_CHARACTER);
        }
    }
    Ok(out)
}

/// The body as text, and the name of the encoding it was decoded from (see the module docs for
/// the order of the clues). Undecodable bytes become U+FFFD.
pub fn decode_text(body: &[u8], content_type: Option<&str>) -> (String, &'static str) {
    match decode_bounded(body, content_type, usize::MAX) {
        Ok(decoded) => decoded,
        Err(_) => unreachable!("no text is longer than usize::MAX bytes"),
    }
}

/// [`decode_text`], giving up once the text passes `max` bytes.
fn decode_bounded(
    body: &[u8],
    content_type: Option<&str>,
    max: usize,
) -> Result<(String, &'static str), HttpError> {
    // Valid UTF-8 (after any BOM) is taken as UTF-8 whatever is declared: declarations are
    // often stale, and datatrove's WarcReader decodes the same way.
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(body) {
        return Ok((decode_with(enc, &body[bom..], max)?, enc.name()));
    }
    if let Ok(text) = std::str::from_utf8(body) {
        if text.len() > max {
            return Err(HttpError::TextTooLarge(max, "UTF-8"));
        }
        return Ok((text.to_owned(), "UTF-8"));
    }
    let encoding = content_type
        .and_then(charset_param)
        .or_else(|| meta_charset(&body[..body.len().min(1024)]))
        .and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()))
        .unwrap_or_else(|| {
            let mut det = chardetng::EncodingDetector::new();
            det.feed(&body[..body.len().min(64 << 10)], true);
            det.guess(None, true)
        });
    // `decode` would swap in UTF-8 on a byte-order mark; there is none here.
    Ok((decode_with(encoding, body, max)?, encoding.name()))
}

/// `bytes` decoded from `enc` (no BOM sniffing; undecodable bytes become U+FFFD) in pieces, so
/// a text over `max` bytes is refused having taken at most about `max` bytes.
fn decode_with(
    enc: &'static encoding_rs::Encoding,
    bytes: &[u8],
    max: usize,
) -> Result<String, HttpError> {
    let too_large = || HttpError::TextTooLarge(max, enc.name());
    let mut decoder = enc.new_decoder_without_bom_handling();
    let bound = decoder
        .max_utf8_buffer_length(bytes.len())
        .unwrap_or(usize::MAX);
    if bound > max {
        // It might not fit: measure first, through a small buffer, so that a text too long
        // is refused without ever being held.
        decode_pieces(&mut decoder, bytes, &mut String::new(), false, max).ok_or_else(too_large)?;
        decoder = enc.new_decoder_without_bom_handling();
    }
    // Reserved once (pages are only touched as they are written), so the string never grows
    // by copying; the check after each piece keeps it within the reservation.
    let mut out = String::with_capacity(bound.min(max.saturating_add(4 * DECODE_PIECE)));
    decode_pieces(&mut decoder, bytes, &mut out, true, max).ok_or_else(too_large)?;
    Ok(out)
}

/// Input bytes decoded at a time by [`decode_pieces`].
const DECODE_PIECE: usize = 1 << 20;

/// Feeds `bytes` to `decoder` a piece at a time, appending the text to `out`; with `keep`
/// false, each piece's text is dropped once counted (a measuring pass in bounded memory).
/// Returns the text's length, or `None` as soon as it passes `max`.
fn decode_pieces(
    decoder: &mut encoding_rs::Decoder,
    mut bytes: &[u8],
    out: &mut String,
    keep: bool,
    max: usize,
) -> Option<usize> {
    let mut len = 0usize;
    loop {
        let piece = &bytes[..bytes.len().min(DECODE_PIECE)];
        let last = piece.len() == bytes.len();
        if !keep {
            out.clear();
        }
        out.reserve(decoder.max_utf8_buffer_length(piece.len())?);
        let before = out.len();
        let (result, read, _) = decoder.decode_to_string(piece, out, last);
        bytes = &bytes[read..];
        len += out.len() - before;
        if len > max {
            return None;
        }
        if last && bytes.is_empty() && result == encoding_rs::CoderResult::InputEmpty {
            return Some(len);
        }
    }
}

/// `charset=` in a `Content-Type` value.
fn charset_param(ct: &str) -> Option<String> {
    ct.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']).to_owned())
    })
}

/// `<meta charset=...>` or `<meta http-equiv=... content="...charset=...">` in the bytes.
fn meta_charset(head: &[u8]) -> Option<String> {
    let lower = String::from_utf8_lossy(head).to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(i) = rest.find("<meta") {
        let tag_end = rest[i..].find('>').map_or(rest.len(), |e| i + e);
        let tag = &rest[i..tag_end];
        if let Some(j) = tag.find("charset") {
            let after = tag[j + "charset".len()..].trim_start();
            if let Some(v) = after.strip_prefix('=') {
                let v = v.trim_start().trim_start_matches(['"', '\'']);
                let end = v
                    .find(|c: char| {
                        c == '"' || c == '\'' || c == ';' || c == '/' || c.is_whitespace()
                    })
                    .unwrap_or(v.len());
                if end > 0 {
                    return Some(v[..end].to_owned());
                }
            }
        }
        rest = &rest[tag_end.min(rest.len())..];
        if tag_end == i {
            break;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_gzip_bodies_are_decoded() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"<p>hello</p>").unwrap();
        let z = gz.finish().unwrap();
        let mut block =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n"
                .to_vec();
        block.extend(format!("{:x}\r\n", z.len()).as_bytes());
        block.extend(&z);
        block.extend(b"\r\n0\r\n\r\n");
        let r = parse_response(&block, 1 << 20).unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"<p>hello</p>"[..]));
        assert_eq!(
            parse_response(&block, 5).unwrap_err(),
            HttpError::TooLarge(5)
        );
    }

    #[test]
    fn lenient_where_servers_are_sloppy() {
        // No reason phrase, bare LF, "chunked" that is not.
        let r = parse_response(
            b"HTTP/1.0 404\nTransfer-Encoding: chunked\n\nnot chunked",
            100,
        )
        .unwrap();
        assert_eq!((r.status, r.body.as_slice()), (404, &b"not chunked"[..]));
        let odd = parse_response(b"garbage\r\nX: y\r\n\r\nrest", 100).unwrap();
        assert_eq!((odd.status, odd.body.as_slice()), (0, &b"rest"[..]));
        let endless = parse_response(b"HTTP/1.1 200 OK\r\nX: y", 100).unwrap();
        assert_eq!((endless.status, endless.body.len()), (200, 0));
        let bare = parse_response(b"\n<html>page</html>", 100).unwrap();
        assert_eq!(
            (bare.status, bare.body.as_slice()),
            (0, &b"<html>page</html>"[..])
        );
    }

    #[test]
    fn charset_from_header_then_meta_then_guess() {
        let latin1 = b"<html><body>caf\xe9</body></html>";
        assert_eq!(
            decode_text(latin1, Some("text/html; charset=ISO-8859-1")).0,
            "<html><body>café</body></html>"
        );
        let meta = b"<html><head><meta charset=\"windows-1252\"></head>caf\xe9";
        assert_eq!(decode_text(meta, Some("text/html")).1, "windows-1252");
        let equiv = b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=koi8-r\">\xc1";
        assert_eq!(decode_text(equiv, None).1, "KOI8-R");
        // Valid UTF-8 wins over a stale declaration.
        assert_eq!(
            decode_text("café".as_bytes(), Some("text/html; charset=ISO-8859-1")).0,
            "café"
        );
        assert_eq!(decode_text("naïve".as_bytes(), None).0, "naïve");
        for (body, ctype) in [
            (
                &b"na\xefve caf\xe9"[..],
                Some("text/html; charset=ISO-8859-1"),
            ),
            ("naïve".as_bytes(), None),
            (b"\xef\xbb\xbfbom", None),
            (b"\xff\xfeh\0i\0", None),
            (b"", None),
        ] {
            let (text, enc) = decode_text(body, ctype);
            assert_eq!(
                decode_text_owned(body.to_vec(), ctype, 64),
                Ok((text.clone(), enc))
            );
            // One byte short of the text: refused, whichever way it was decoded.
            if let Some(max) = text.len().checked_sub(1) {
                assert_eq!(
                    decode_text_owned(body.to_vec(), ctype, max),
                    Err(HttpError::TextTooLarge(max, enc))
                );
            }
        }
    }

    #[test]
    fn lossy_utf8_matches_std_and_is_bounded() {
        let mut big = Vec::new();
        for i in 0..20_000u32 {
            big.extend_from_slice(format!("w{i} ").as_bytes());
            big.extend_from_slice(&[0xc3, 0xa9, 0xe2, 0x82, 0xff, 0xf0, 0x9f, 0x98]);
        }
        for bytes in [
            &b"plain"[..],
            b"caf\xe9 \xf0\x9f\x98\x80 \xed\xa0\x80 \xc0\xaf end\xe2\x82",
            &big,
            b"",
        ] {
            let want = String::from_utf8_lossy(bytes).into_owned();
            assert_eq!(
                utf8_lossy_owned(bytes.to_vec(), want.len()),
                Ok(want.clone())
            );
            if let Some(max) = want.len().checked_sub(1) {
                assert_eq!(
                    utf8_lossy_owned(bytes.to_vec(), max),
                    Err(HttpError::TextTooLarge(max, "UTF-8"))
                );
            }
        }
    }

    #[test]
    fn long_legacy_text_is_decoded_in_pieces_as_a_whole() {
        // Over one 1 MiB piece, so pieces meet inside multi-byte sequences (Shift_JIS).
        let text = "日本語のテキスト、".repeat(200_000);
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(&text);
        let ctype = Some("text/html; charset=Shift_JIS");
        assert_eq!(decode_text(&sjis, ctype), (text.clone(), "Shift_JIS"));
        assert_eq!(
            decode_text_owned(sjis.to_vec(), ctype, text.len()),
            Ok((text.clone(), "Shift_JIS"))
        );
        assert!(decode_text_owned(sjis.to_vec(), ctype, text.len() - 1).is_err());
    }
}
