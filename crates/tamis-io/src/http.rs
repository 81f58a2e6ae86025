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
}

/// Header lines of an HTTP head that are read; later ones are ignored.
pub const MAX_HTTP_HEADERS: usize = 1024;

/// Parses the block of a `response` record; `max_body` bounds the decoded body (a small
/// compressed body can inflate enormously). Errors only on a body too large or in a content
/// coding tamis does not decode (`br`, `compress`).
pub fn parse_response(block: &[u8], max_body: usize) -> Result<HttpResponse, HttpError> {
    // Some crawlers (archive.org's wayback exports) store the page without its HTTP head,
    // after an empty line: status 0, the bytes as the body.
    if let Some(body) = headerless_body(block) {
        if body.len() > max_body {
            return Err(HttpError::TooLarge(max_body));
        }
        return Ok(HttpResponse {
            status: 0,
            headers: Vec::new(),
            body: body.to_vec(),
        });
    }
    // Like warcio, read whatever head there is: headers that never end take the whole block,
    // and a status line that is not one gives status 0; the caller decides what to keep.
    let head_end = find_head_end(block).unwrap_or((block.len(), block.len()));
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
    let raw = &block[head_end.1..];
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
        dechunk(raw).unwrap_or_else(|| raw.to_vec())
    } else {
        raw.to_vec()
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

/// [`decode_text`] taking the body by value: a body of valid UTF-8 without a byte-order mark
/// becomes the text without being copied (bodies can be hundreds of megabytes).
pub fn decode_text_owned(body: Vec<u8>, content_type: Option<&str>) -> (String, &'static str) {
    if encoding_rs::Encoding::for_bom(&body).is_none() {
        match String::from_utf8(body) {
            Ok(text) => return (text, "UTF-8"),
            Err(e) => return decode_text(e.as_bytes(), content_type),
        }
    }
    decode_text(&body, content_type)
}

/// The body as text, and the name of the encoding it was decoded from (see the module docs for
/// the order of the clues). Undecodable bytes become U+FFFD.
pub fn decode_text(body: &[u8], content_type: Option<&str>) -> (String, &'static str) {
    // Valid UTF-8 (after any BOM) is taken as UTF-8 whatever is declared: declarations are
    // often stale, and datatrove's WarcReader decodes the same way.
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(body) {
        return (
            enc.decode_without_bom_handling(&body[bom..]).0.into_owned(),
            enc.name(),
        );
    }
    if let Ok(text) = std::str::from_utf8(body) {
        return (text.to_owned(), "UTF-8");
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
    let (text, used, _) = encoding.decode(body);
    (text.into_owned(), used.name())
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
            assert_eq!(
                decode_text_owned(body.to_vec(), ctype),
                decode_text(body, ctype)
            );
        }
    }
}
