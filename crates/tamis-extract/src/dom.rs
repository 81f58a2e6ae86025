//! A lenient HTML tree builder that runs in linear time on any input.
//!
//! It follows the WHATWG tree-construction rules that shape text (implied `</p>`, `</li>`,
//! `</td>`, `</tr>`, `</option>`, headings, nested links, raw-text elements, end tags bounded by
//! scope) and leaves out those that only matter to scripts and rendering (foster parenting,
//! the adoption agency's reconstruction of formatting elements). Nesting deeper than
//! [`MAX_DEPTH`] is flattened, as Blink does (`kMaximumHTMLParserDOMTreeDepth`, 512): the
//! deeper elements become siblings, so 100,000 unclosed `<div>`s cost no more than 100,000
//! closed ones.
//!
//! Nodes are stored in document order (preorder), and every element records where its subtree
//! ends, so every later pass is a loop over an index range: nothing recurses, nothing can
//! overflow the stack.

use memchr::{memchr, memmem};

use crate::tag::Tag;

/// The nesting depth past which new elements become siblings instead of children.
pub const MAX_DEPTH: usize = 512;

/// A node's index in [`Dom::nodes`].
pub type NodeId = u32;

/// The attributes the extractor reads, lowercased.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attrs {
    /// `class` and `id` joined by a space.
    pub class_id: String,
    /// `role`.
    pub role: String,
    /// `itemprop`.
    pub itemprop: String,
    /// `hidden`, `aria-hidden="true"` or an inline style with `display:none` or
    /// `visibility:hidden`.
    pub hidden: bool,
}

/// One node: an element, a text node, or the root.
#[derive(Debug, Clone)]
pub struct Node {
    /// The element, or [`Tag::Text`] / [`Tag::Root`].
    pub tag: Tag,
    /// The parent (the root is its own parent).
    pub parent: NodeId,
    /// One past the last node of this subtree: the subtree is `id..end`.
    pub end: NodeId,
    /// Text nodes: the byte range of their decoded text in [`Dom::text`].
    pub text: (u32, u32),
    /// Elements with attributes the extractor reads: an index into [`Dom::attrs`].
    pub attrs: Option<u32>,
}

/// A parsed page.
#[derive(Debug, Default)]
pub struct Dom {
    /// Nodes in document order; `nodes[0]` is the root.
    pub nodes: Vec<Node>,
    /// The decoded text of all text nodes, back to back.
    pub text: String,
    /// Attribute sets, referenced from [`Node::attrs`].
    pub attrs: Vec<Attrs>,
    /// The first `<title>`'s text.
    pub title: String,
    /// Elements that were flattened because they were nested deeper than [`MAX_DEPTH`].
    pub flattened: usize,
}

impl Dom {
    /// The text of a text node (empty for elements).
    pub fn node_text(&self, id: NodeId) -> &str {
        let (a, b) = self.nodes[id as usize].text;
        &self.text[a as usize..b as usize]
    }

    /// The attributes of an element, if it has any the extractor reads.
    pub fn node_attrs(&self, id: NodeId) -> Option<&Attrs> {
        self.nodes[id as usize]
            .attrs
            .map(|i| &self.attrs[i as usize])
    }

    /// Parses `html`; never fails and never recurses.
    pub fn parse(html: &str) -> Dom {
        let mut b = Builder {
            dom: Dom {
                nodes: vec![Node {
                    tag: Tag::Root,
                    parent: 0,
                    end: 1,
                    text: (0, 0),
                    attrs: None,
                }],
                ..Dom::default()
            },
            stack: vec![0],
        };
        b.run(html);
        b.finish()
    }
}

struct Builder {
    dom: Dom,
    /// Open elements, innermost last; `stack[0]` is the root.
    stack: Vec<NodeId>,
}

impl Builder {
    fn current(&self) -> NodeId {
        *self.stack.last().expect("the root is never popped")
    }

    fn tag_of(&self, id: NodeId) -> Tag {
        self.dom.nodes[id as usize].tag
    }

    fn add(&mut self, tag: Tag, text: (u32, u32), attrs: Option<u32>) -> NodeId {
        let id = self.dom.nodes.len() as NodeId;
        self.dom.nodes.push(Node {
            tag,
            parent: self.current(),
            end: id + 1,
            text,
            attrs,
        });
        id
    }

    /// Closes the innermost `n` open elements.
    fn pop(&mut self, n: usize) {
        let end = self.dom.nodes.len() as NodeId;
        for _ in 0..n {
            let id = self.stack.pop().expect("callers never pop the root");
            self.dom.nodes[id as usize].end = end;
        }
    }

    /// Closes open elements down to and including the innermost one that `hit` accepts, if
    /// one is found before `stop` does; returns whether it was.
    fn close_to(&mut self, hit: impl Fn(Tag) -> bool, stop: impl Fn(Tag) -> bool) -> bool {
        for depth in (1..self.stack.len()).rev() {
            let t = self.tag_of(self.stack[depth]);
            if hit(t) {
                self.pop(self.stack.len() - depth);
                return true;
            }
            if stop(t) {
                return false;
            }
        }
        false
    }

    fn text(&mut self, raw: &str) {
        if raw.is_empty() {
            return;
        }
        let start = self.dom.text.len() as u32;
        if memchr(b'&', raw.as_bytes()).is_some() {
            self.dom.text.push_str(&htmlize::unescape(raw));
        } else {
            self.dom.text.push_str(raw);
        }
        let end = self.dom.text.len() as u32;
        self.add(Tag::Text, (start, end), None);
    }

    fn start_tag(&mut self, tag: Tag, attrs: Option<Attrs>) {
        use Tag::*;
        if tag.closes_p() {
            self.close_to(|t| t == P, |t| t.is_scope_boundary() || t == Button);
        }
        match tag {
            Li => {
                self.close_to(
                    |t| t == Li,
                    |t| matches!(t, Ul | Ol | Menu | Dir) || t.is_scope_boundary(),
                );
            }
            Dd | Dt => {
                self.close_to(
                    |t| matches!(t, Dd | Dt),
                    |t| t == Dl || t.is_scope_boundary(),
                );
            }
            Tr => {
                self.close_to(|t| t == Tr, |t| matches!(t, Table | Root | Html));
            }
            Td | Th => {
                self.close_to(|t| matches!(t, Td | Th), |t| matches!(t, Tr | Table));
            }
            Thead | Tbody | Tfoot => {
                self.close_to(|t| matches!(t, Thead | Tbody | Tfoot), |t| t == Table);
            }
            Option if self.tag_of(self.current()) == Option => self.pop(1),
            A => {
                // A link cannot contain a link: an unclosed `<a>` ends at the next one.
                self.close_to(|t| t == A, |t| t.is_scope_boundary() || !t.is_phrasing());
            }
            H1 | H2 | H3 | H4 | H5 | H6 if self.tag_of(self.current()).is_heading() => {
                self.pop(1);
            }
            // One document, one body: repeated `<html>`/`<body>` start tags add nothing.
            Html | Body if self.stack.iter().any(|&id| self.tag_of(id) == tag) => return,
            _ => {}
        }
        let attrs = attrs.map(|a| {
            self.dom.attrs.push(a);
            (self.dom.attrs.len() - 1) as u32
        });
        let id = self.add(tag, (0, 0), attrs);
        if tag.is_void() {
            return;
        }
        if self.stack.len() > MAX_DEPTH {
            self.dom.flattened += 1;
            return;
        }
        self.stack.push(id);
    }

    fn end_tag(&mut self, tag: Tag) {
        use Tag::*;
        match tag {
            Br => self.start_tag(Br, None),
            // Content after `</body>` still belongs to the body.
            Html | Body => {}
            _ if tag.is_phrasing() => {
                self.close_to(|t| t == tag, |t| !t.is_phrasing());
            }
            H1 | H2 | H3 | H4 | H5 | H6 => {
                self.close_to(Tag::is_heading, Tag::is_scope_boundary);
            }
            Table => {
                self.close_to(|t| t == Table, |t| matches!(t, Root | Html | Template));
            }
            Tbody | Thead | Tfoot | Tr | Td | Th | Caption => {
                self.close_to(
                    |t| t == tag,
                    |t| matches!(t, Table | Root | Html | Template),
                );
            }
            _ => {
                self.close_to(|t| t == tag, Tag::is_scope_boundary);
            }
        }
    }

    fn run(&mut self, html: &str) {
        let bytes = html.as_bytes();
        let mut pos = 0;
        let mut text_start = 0;
        while let Some(off) = memchr(b'<', &bytes[pos..]) {
            let lt = pos + off;
            let next = bytes.get(lt + 1).copied().unwrap_or(b' ');
            let after = match next {
                b'!' => {
                    self.text(&html[text_start..lt]);
                    if bytes[lt..].starts_with(b"<!--") {
                        match memmem::find(&bytes[lt + 4..], b"-->") {
                            Some(i) => lt + 4 + i + 3,
                            None => bytes.len(),
                        }
                    } else {
                        skip_to_gt(bytes, lt)
                    }
                }
                b'?' => {
                    self.text(&html[text_start..lt]);
                    skip_to_gt(bytes, lt)
                }
                b'/' => {
                    self.text(&html[text_start..lt]);
                    if bytes.get(lt + 2).is_some_and(u8::is_ascii_alphabetic) {
                        let (name, after_name) = tag_name(bytes, lt + 2);
                        self.end_tag(Tag::from_name(&name));
                        skip_to_gt(bytes, after_name)
                    } else {
                        // `</>` and `</ ...>`: bogus comments.
                        skip_to_gt(bytes, lt)
                    }
                }
                c if c.is_ascii_alphabetic() => {
                    self.text(&html[text_start..lt]);
                    let (name, after_name) = tag_name(bytes, lt + 1);
                    let tag = Tag::from_name(&name);
                    let (attrs, after) = attributes(html, after_name);
                    if tag.is_raw_text() {
                        let content_end = find_end_tag(bytes, after, &name);
                        let content = &html[after.min(content_end)..content_end];
                        if tag == Tag::Title && self.dom.title.is_empty() {
                            self.dom.title = htmlize::unescape(content).trim().to_owned();
                        }
                        self.start_tag(tag, attrs);
                        // Raw-text elements hold no nodes: close them at once.
                        if self.current() as usize == self.dom.nodes.len() - 1 {
                            self.pop(1);
                        }
                        skip_to_gt(bytes, content_end)
                    } else if tag == Tag::Plaintext {
                        self.start_tag(tag, attrs);
                        self.text(&html[after..]);
                        bytes.len()
                    } else {
                        self.start_tag(tag, attrs);
                        after
                    }
                }
                _ => {
                    // A `<` that starts no tag is text.
                    pos = lt + 1;
                    continue;
                }
            };
            pos = after.min(bytes.len());
            text_start = pos;
        }
        self.text(&html[text_start..]);
    }

    fn finish(mut self) -> Dom {
        let n = self.stack.len();
        self.pop(n - 1);
        self.dom.nodes[0].end = self.dom.nodes.len() as NodeId;
        self.dom
    }
}

/// The index just past the next `>` at or after `from` (the end of input if there is none).
fn skip_to_gt(bytes: &[u8], from: usize) -> usize {
    match memchr(b'>', &bytes[from.min(bytes.len())..]) {
        Some(i) => from + i + 1,
        None => bytes.len(),
    }
}

/// A tag name, lowercased, and the index after it.
fn tag_name(bytes: &[u8], from: usize) -> (Vec<u8>, usize) {
    let mut end = from;
    while end < bytes.len()
        && !matches!(
            bytes[end],
            b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>'
        )
    {
        end += 1;
    }
    (bytes[from..end].to_ascii_lowercase(), end)
}

/// Parses attributes from `from` to the end of the tag; returns the ones the extractor reads
/// (if any) and the index after the tag's `>`.
fn attributes(html: &str, from: usize) -> (Option<Attrs>, usize) {
    let bytes = html.as_bytes();
    let mut attrs: Option<Attrs> = None;
    let mut i = from;
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        if i >= bytes.len() {
            return (attrs, bytes.len());
        }
        if bytes[i] == b'>' {
            return (attrs, i + 1);
        }
        let name_start = i;
        i += 1;
        while i < bytes.len()
            && !matches!(
                bytes[i],
                b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>' | b'='
            )
        {
            i += 1;
        }
        let name = &bytes[name_start..i];
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = "";
        if bytes.get(i) == Some(&b'=') {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            match bytes.get(i) {
                Some(&q @ (b'"' | b'\'')) => {
                    let end = memchr(q, &bytes[i + 1..]).map_or(bytes.len(), |e| i + 1 + e);
                    value = &html[i + 1..end];
                    i = (end + 1).min(bytes.len());
                }
                Some(_) => {
                    let start = i;
                    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                        i += 1;
                    }
                    value = &html[start..i];
                }
                None => {}
            }
        }
        read_attribute(&mut attrs, name, value);
    }
}

fn read_attribute(attrs: &mut Option<Attrs>, name: &[u8], value: &str) {
    let lower = |v: &str| v.trim().to_ascii_lowercase();
    if name.eq_ignore_ascii_case(b"class") || name.eq_ignore_ascii_case(b"id") {
        let a = attrs.get_or_insert_with(Attrs::default);
        if !a.class_id.is_empty() {
            a.class_id.push(' ');
        }
        a.class_id.push_str(&lower(value));
    } else if name.eq_ignore_ascii_case(b"role") {
        attrs.get_or_insert_with(Attrs::default).role = lower(value);
    } else if name.eq_ignore_ascii_case(b"itemprop") {
        attrs.get_or_insert_with(Attrs::default).itemprop = lower(value);
    } else if name.eq_ignore_ascii_case(b"hidden") {
        attrs.get_or_insert_with(Attrs::default).hidden = true;
    } else if name.eq_ignore_ascii_case(b"aria-hidden") {
        if value.trim().eq_ignore_ascii_case("true") {
            attrs.get_or_insert_with(Attrs::default).hidden = true;
        }
    } else if name.eq_ignore_ascii_case(b"style") && hides(value) {
        attrs.get_or_insert_with(Attrs::default).hidden = true;
    }
}

/// An inline style that hides the element.
fn hides(style: &str) -> bool {
    let compact: String = style
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    compact.contains("display:none") || compact.contains("visibility:hidden")
}

/// Where the content of a raw-text element named `name` ends: at its end tag
/// (`</name` followed by whitespace, `/` or `>`, any case), or at the end of input.
fn find_end_tag(bytes: &[u8], from: usize, name: &[u8]) -> usize {
    let mut i = from.min(bytes.len());
    while let Some(off) = memchr(b'<', &bytes[i..]) {
        let lt = i + off;
        let tail = &bytes[lt..];
        if tail.len() >= name.len() + 2
            && tail[1] == b'/'
            && tail[2..2 + name.len()].eq_ignore_ascii_case(name)
            && tail
                .get(2 + name.len())
                .is_none_or(|c| matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>'))
        {
            return lt;
        }
        i = lt + 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree as nested tags, for assertions.
    fn shape(dom: &Dom) -> String {
        let mut out = String::new();
        let mut open: Vec<NodeId> = Vec::new();
        for (i, n) in dom.nodes.iter().enumerate().skip(1) {
            while open
                .last()
                .is_some_and(|&o| dom.nodes[o as usize].end as usize <= i)
            {
                open.pop();
                out.push(')');
            }
            match n.tag {
                Tag::Text => out.push_str(&format!("{:?}", dom.node_text(i as NodeId))),
                t => {
                    out.push_str(&format!("{t:?}("));
                    open.push(i as NodeId);
                }
            }
        }
        for _ in open {
            out.push(')');
        }
        out
    }

    #[test]
    fn implied_end_tags_shape_the_tree() {
        let dom = Dom::parse("<p>one<p>two<div>three</div><ul><li>a<li>b</ul>");
        assert_eq!(
            shape(&dom),
            r#"P("one")P("two")Div("three")Ul(Li("a")Li("b"))"#
        );
        let dom = Dom::parse("<table><tr><td>a<td>b<tr><td>c</table>after");
        assert_eq!(
            shape(&dom),
            r#"Table(Tr(Td("a")Td("b"))Tr(Td("c")))"after""#
        );
    }

    #[test]
    fn stray_end_tags_do_not_cross_blocks() {
        let dom = Dom::parse("<div><span>a</div>b</span>c");
        assert_eq!(shape(&dom), r#"Div(Span("a"))"b""c""#);
        let dom = Dom::parse("<div><table><td></div>x</table>y</div>");
        assert_eq!(shape(&dom), r#"Div(Table(Td("x"))"y")"#);
    }

    #[test]
    fn raw_text_comments_and_entities() {
        let dom = Dom::parse(
            "<title>A &amp; B</title><script>if (a<b) document.write('</p>')</script>\
             <!-- <p>hidden</p> --><p>caf&eacute; &lt;3 &#x2014;</p><style>p{}</STYLE >z",
        );
        assert_eq!(dom.title, "A & B");
        assert_eq!(shape(&dom), r#"Title()Script()P("café <3 —")Style()"z""#);
    }

    #[test]
    fn attributes_are_read() {
        let dom = Dom::parse(
            r#"<div id=Main class="Post  body" role='main' style="display: none" data-x=">"></div>"#,
        );
        let a = dom.node_attrs(1).unwrap();
        assert_eq!(a.class_id, "main post  body");
        assert_eq!(a.role, "main");
        assert!(a.hidden);
    }

    #[test]
    fn deep_nesting_is_flattened_in_linear_time() {
        let html = "<div>".repeat(100_000) + "deep";
        let dom = Dom::parse(&html);
        assert_eq!(dom.nodes.len(), 100_002);
        assert_eq!(dom.flattened, 100_000 - MAX_DEPTH);
        let depth = {
            let mut d = 0;
            let mut id = (dom.nodes.len() - 1) as NodeId;
            while id != 0 {
                id = dom.nodes[id as usize].parent;
                d += 1;
            }
            d
        };
        assert_eq!(depth, MAX_DEPTH + 1);
    }

    #[test]
    fn unterminated_constructs_end_at_end_of_input() {
        for html in [
            "<p>a<!-- b",
            "<p a='b",
            "<script>x",
            "<p>a</",
            "a <b",
            "<",
            "&",
        ] {
            let dom = Dom::parse(html);
            assert!(dom.nodes[0].end as usize == dom.nodes.len(), "{html}");
        }
    }
}
