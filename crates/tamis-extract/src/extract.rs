//! Main-content extraction over a parsed [`Dom`].
//!
//! Three passes, each a loop over node indices:
//! 1. prune: elements that never hold main content (scripts, forms' controls, navigation,
//!    hidden elements) and elements whose class or id names boilerplate, unless they wrap most
//!    of the page;
//! 2. choose: score text blocks and their ancestors as Readability does (Arc90 Readability,
//!    as published in Mozilla's `Readability.js`, `_grabArticle`: a block scores one point,
//!    one per comma and one per 100 characters up to three; its parent gets the score, its
//!    grandparent half, further ancestors a third per level; a candidate's score is scaled by
//!    one minus its link density), take the best candidate and its siblings that score close
//!    to it or read as prose;
//! 3. emit: the chosen subtrees' text, one line per block, dropping link lists and repeated
//!    lines (trafilatura's `deduplicate`).

use crate::dom::{Dom, NodeId};
use crate::tag::Tag;

/// Class and id words that name boilerplate containers.
const NEGATIVE: &[&str] = &[
    "ad",
    "ads",
    "adv",
    "advert",
    "advertisement",
    "advertising",
    "affiliate",
    "agegate",
    "banner",
    "breadcrumb",
    "breadcrumbs",
    "byline",
    "combx",
    "comment",
    "comments",
    "commentlist",
    "community",
    "consent",
    "cookie",
    "cookies",
    "disqus",
    "footer",
    "footnotes",
    "gdpr",
    "header",
    "login",
    "masthead",
    "menu",
    "modal",
    "nav",
    "navbar",
    "navigation",
    "newsletter",
    "outbrain",
    "pagination",
    "pager",
    "popup",
    "promo",
    "recommended",
    "related",
    "remark",
    "replies",
    "rss",
    "share",
    "sharing",
    "shoutbox",
    "sidebar",
    "signup",
    "skip",
    "skyscraper",
    "social",
    "sponsor",
    "sponsored",
    "subscribe",
    "subscription",
    "taboola",
    "tags",
    "toolbar",
    "tools",
    "widget",
    "widgets",
];

/// Class and id words of what surrounds an article's text: captions and credits, bylines,
/// dates and author boxes, teasers (trafilatura leaves these out of its output too).
const META: &[&str] = &[
    "caption", "credit", "credits", "meta", "date", "dateline", "timestamp", "author",
    "authors", "bio", "teaser", "teasers", "trending", "popular", "recirc", "respond",
    "reply", "print", "download", "rating", "breadcrumbs", "copyright", "disclaimer",
];

/// Class and id words that name the content container.
const POSITIVE: &[&str] = &[
    "article",
    "articlebody",
    "body",
    "content",
    "entry",
    "hentry",
    "main",
    "page",
    "post",
    "story",
    "text",
    "blog",
];

/// Roles (WAI-ARIA) of boilerplate landmarks.
const NEGATIVE_ROLES: &[&str] = &[
    "navigation",
    "banner",
    "contentinfo",
    "complementary",
    "menu",
    "menubar",
    "search",
    "dialog",
    "alert",
];

fn words(class_id: &str) -> impl Iterator<Item = &str> {
    class_id
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// Elements dropped with their content whatever their attributes.
fn never_content(tag: Tag) -> bool {
    use Tag::*;
    matches!(
        tag,
        Script
            | Style
            | Noscript
            | Template
            | Svg
            | Math
            | Canvas
            | Iframe
            | Object
            | Embed
            | Applet
            | Button
            | Input
            | Select
            | Option
            | Textarea
            | Nav
            | Aside
            | Footer
            | Menu
            | Dialog
            | Map
            | Head
            | Title
            | Frameset
            | Frame
            | Noframes
            | Audio
            | Video
    )
}

/// The pruned and measured page, one entry per node.
struct Page<'a> {
    dom: &'a Dom,
    removed: Vec<bool>,
    /// Characters of text (whitespace runs counted once) in the subtree, not removed.
    chars: Vec<u32>,
    /// Of which inside links.
    link_chars: Vec<u32>,
    /// Commas in the subtree's text.
    commas: Vec<u32>,
    /// Text nodes: inside a link.
    in_link: Vec<bool>,
}

/// Characters of `text` with whitespace runs counted as one, and its commas.
fn measure(text: &str) -> (u32, u32) {
    let mut chars = 0u32;
    let mut commas = 0u32;
    let mut space = true;
    for c in text.chars() {
        if c.is_whitespace() {
            if !space {
                chars += 1;
                space = true;
            }
        } else {
            chars += 1;
            space = false;
            if matches!(c, ',' | '،' | '，' | '、') {
                commas += 1;
            }
        }
    }
    (chars, commas)
}

impl<'a> Page<'a> {
    fn new(dom: &'a Dom) -> Self {
        let n = dom.nodes.len();
        let mut removed = vec![false; n];
        let mut in_link = vec![false; n];
        for i in 1..n {
            let node = &dom.nodes[i];
            let p = node.parent as usize;
            removed[i] = removed[p]
                || never_content(node.tag)
                || dom.node_attrs(i as NodeId).is_some_and(|a| a.hidden);
            in_link[i] = in_link[p] || node.tag == Tag::A;
        }
        let mut page = Page {
            dom,
            removed,
            chars: vec![0; n],
            link_chars: vec![0; n],
            commas: vec![0; n],
            in_link,
        };
        page.measure();
        // Boilerplate by name, unless the element holds most of the page (a wrapper such as
        // `<div id="page" class="has-sidebar">`).
        let total = page.chars[0].max(1);
        let mut by_name = vec![false; n];
        for i in 1..n {
            if page.removed[i] {
                continue;
            }
            let p = dom.nodes[i].parent as usize;
            by_name[i] = by_name[p]
                || (boilerplate_name(dom, i as NodeId)
                    && u64::from(page.chars[i]) * 3 < u64::from(total) * 2);
        }
        if by_name.iter().any(|&b| b) {
            for (r, b) in page.removed.iter_mut().zip(by_name) {
                *r |= b;
            }
            page.measure();
        }
        page
    }

    /// Recomputes the subtree sums bottom-up (children come after their parents).
    fn measure(&mut self) {
        let dom = self.dom;
        self.chars.fill(0);
        self.link_chars.fill(0);
        self.commas.fill(0);
        for i in (1..dom.nodes.len()).rev() {
            if self.removed[i] {
                continue;
            }
            let node = &dom.nodes[i];
            if node.tag == Tag::Text {
                let (c, k) = measure(dom.node_text(i as NodeId));
                self.chars[i] = c;
                self.commas[i] = k;
                if self.in_link[i] {
                    self.link_chars[i] = c;
                }
            }
            let p = node.parent as usize;
            self.chars[p] += self.chars[i];
            self.link_chars[p] += self.link_chars[i];
            self.commas[p] += self.commas[i];
        }
    }

    fn link_density(&self, i: usize) -> f64 {
        if self.chars[i] == 0 {
            0.0
        } else {
            f64::from(self.link_chars[i]) / f64::from(self.chars[i])
        }
    }
}

fn boilerplate_name(dom: &Dom, id: NodeId) -> bool {
    let tag = dom.nodes[id as usize].tag;
    if matches!(
        tag,
        Tag::Html | Tag::Body | Tag::Main | Tag::Article | Tag::A
    ) {
        return false;
    }
    let Some(a) = dom.node_attrs(id) else {
        return false;
    };
    if NEGATIVE_ROLES.contains(&a.role.as_str()) {
        return true;
    }
    if a.itemprop.contains("articlebody") || a.role == "main" || content_name(dom, id) {
        return false;
    }
    // A content word (`post-sidebar-layout`) vouches for a container, not for its meta line
    // (`entry-meta`).
    let positive = words(&a.class_id).any(|w| POSITIVE.contains(&w));
    words(&a.class_id).any(|w| (!positive && NEGATIVE.contains(&w)) || META.contains(&w))
}

/// Class, id or itemprop values that CMS templates give the article body.
const CONTENT_NAMES: &[&str] = &[
    "articlebody", "article-body", "article_body", "article__body", "article-content",
    "article_content", "article__content", "articlecontent", "article-text", "articletext",
    "article__text", "post-content", "post_content", "postcontent", "post-body", "post_body",
    "postbody", "post-text", "post_text", "post-entry", "postentry", "entry-content",
    "entry_content", "entrycontent", "entry-body", "story-body", "storybody", "story-content",
    "story__body", "story-text", "body-text", "bodytext", "text-content", "page-content",
    "main-content", "main_content", "maincontent", "content-body", "single-content",
    "blog-content", "news-content", "news-text", "td-post-content", "field-body", "rich-text",
];

fn content_name(dom: &Dom, id: NodeId) -> bool {
    let Some(a) = dom.node_attrs(id) else {
        return false;
    };
    a.itemprop.split_ascii_whitespace().any(|v| v == "articlebody" || v == "text")
        || a
            .class_id
            .split_ascii_whitespace()
            .any(|c| CONTENT_NAMES.iter().any(|n| c.contains(n)))
}

/// Readability's class weight: +25 for a content name, -25 for a boilerplate one.
fn class_weight(dom: &Dom, id: NodeId) -> f64 {
    let Some(a) = dom.node_attrs(id) else {
        return 0.0;
    };
    let mut w = 0.0;
    if words(&a.class_id).any(|w| POSITIVE.contains(&w)) || a.itemprop.contains("articlebody") {
        w += 25.0;
    }
    if words(&a.class_id).any(|w| NEGATIVE.contains(&w)) {
        w -= 25.0;
    }
    w
}

/// Readability's starting score of a candidate by its tag.
fn tag_weight(tag: Tag) -> f64 {
    use Tag::*;
    match tag {
        Div | Article | Main => 5.0,
        Pre | Td | Blockquote => 3.0,
        Address | Ol | Ul | Dl | Dd | Dt | Li | Form => -3.0,
        H1 | H2 | H3 | H4 | H5 | H6 | Th => -5.0,
        _ => 0.0,
    }
}

/// Text owned directly by each block (not by a nested block): characters and commas.
fn own_text(page: &Page<'_>) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
    let dom = page.dom;
    let n = dom.nodes.len();
    let mut owner = vec![0u32; n];
    let mut own_chars = vec![0u32; n];
    let mut own_links = vec![0u32; n];
    let mut own_commas = vec![0u32; n];
    for i in 1..n {
        let node = &dom.nodes[i];
        owner[i] = if node.tag.is_block() && node.tag != Tag::Br {
            i as u32
        } else {
            owner[node.parent as usize]
        };
        if node.tag == Tag::Text && !page.removed[i] {
            let o = owner[i] as usize;
            own_chars[o] += page.chars[i];
            own_links[o] += page.link_chars[i];
            own_commas[o] += page.commas[i];
        }
    }
    (own_chars, own_links, own_commas)
}

/// The subtree holding the most prose net of boilerplate: each block's own text counts for
/// it when it reads as prose (long enough, few links) and against it when it is short or
/// mostly links, so the winner is the smallest element around all the article's paragraphs
/// that does not take in more chrome than it gains text (a maximum-weight subtree, after
/// the block classes of jusText, Pomikálek 2011, ch. 4).
fn choose_mass(page: &Page<'_>) -> (Vec<NodeId>, Vec<f64>) {
    let dom = page.dom;
    let n = dom.nodes.len();
    let (own_chars, own_links, _) = own_text(page);
    let mut mass = vec![0f64; n];
    for i in (1..n).rev() {
        if page.removed[i] {
            continue;
        }
        let c = f64::from(own_chars[i]);
        if c > 0.0 {
            let ld = f64::from(own_links[i]) / c;
            let heading = dom.nodes[i].tag.is_heading();
            mass[i] += if ld > 0.5 {
                -c * knob("TAMIS_X_LINKPEN", 1.0)
            } else if heading {
                0.0
            } else if own_chars[i] >= 70 && ld < 0.3 {
                c
            } else if own_chars[i] < 25 {
                -knob("TAMIS_X_SHORTPEN", 0.5) * c
            } else {
                0.0
            };
        }
        let p = dom.nodes[i].parent as usize;
        mass[p] += mass[i];
    }
    let mut best = 0usize;
    for i in 1..n {
        if !page.removed[i] && dom.nodes[i].tag != Tag::Text && mass[i] >= mass[best] {
            best = i;
        }
    }
    // A container named as the article body by the site's own markup wins when it holds a
    // fair share of the prose: CMS templates name it (`entry-content`, `article-body`,
    // `itemprop="articleBody"`), and the name outranks any count.
    if knob("TAMIS_X_NAMED", 1.0) > 0.0 {
        let mut named: Option<usize> = None;
        for i in 1..n {
            if !page.removed[i]
                && content_name(dom, i as NodeId)
                && mass[i] >= knob("TAMIS_X_NAMEDFRAC", 0.25) * mass[best]
                && page.chars[i] >= 200
                && named.is_none_or(|b| mass[i] > mass[b])
            {
                named = Some(i);
            }
        }
        if let Some(i) = named {
            best = i;
        }
    }
    (vec![best as NodeId], mass)
}

/// The subtrees holding the main content, in document order.
fn choose(page: &Page<'_>) -> Vec<NodeId> {

    let dom = page.dom;
    let n = dom.nodes.len();
    // Text owned directly by each block (not by a nested block).
    let mut owner = vec![0u32; n];
    let mut own_chars = vec![0u32; n];
    let mut own_commas = vec![0u32; n];
    for i in 1..n {
        let node = &dom.nodes[i];
        owner[i] = if node.tag.is_block() && node.tag != Tag::Br {
            i as u32
        } else {
            owner[node.parent as usize]
        };
        if node.tag == Tag::Text && !page.removed[i] {
            let o = owner[i] as usize;
            own_chars[o] += page.chars[i];
            own_commas[o] += page.commas[i];
        }
    }
    let mut score = vec![f64::NAN; n];
    for i in 1..n {
        let tag = dom.nodes[i].tag;
        if page.removed[i] || own_chars[i] < 25 || !tag.is_block() {
            continue;
        }
        if matches!(tag, Tag::Body | Tag::Html | Tag::Root) {
            continue;
        }
        let points = 1.0 + f64::from(own_commas[i]) + f64::from((own_chars[i] / 100).min(3));
        let mut anc = dom.nodes[i].parent as usize;
        for level in 0..5 {
            if anc == 0 {
                break;
            }
            if score[anc].is_nan() {
                score[anc] = tag_weight(dom.nodes[anc].tag) + class_weight(dom, anc as NodeId);
            }
            let divider = match level {
                0 => 1.0,
                1 => 2.0,
                l => f64::from(l) * 3.0,
            };
            score[anc] += points / divider;
            anc = dom.nodes[anc].parent as usize;
        }
    }
    let final_score = |i: usize| score[i] * (1.0 - page.link_density(i));
    let mut top: Option<usize> = None;
    for i in 1..n {
        if !score[i].is_nan() && top.is_none_or(|t| final_score(i) > final_score(t)) {
            top = Some(i);
        }
    }
    let Some(top) = top else {
        return vec![0];
    };
    // The best candidate's siblings join when they score close to it or read as prose.
    let top_score = final_score(top);
    let threshold = (top_score * 0.2).max(10.0);
    let parent = dom.nodes[top].parent as usize;
    if parent == 0 {
        return vec![top as NodeId];
    }
    let mut chosen = Vec::new();
    let mut i = parent + 1;
    while i < dom.nodes[parent].end as usize {
        let node = &dom.nodes[i];
        let next = node.end as usize;
        if page.removed[i] {
            i = next;
            continue;
        }
        let keep = if i == top {
            true
        } else {
            let bonus = match (dom.node_attrs(i as NodeId), dom.node_attrs(top as NodeId)) {
                (Some(a), Some(b)) if !a.class_id.is_empty() && a.class_id == b.class_id => {
                    top_score * 0.2
                }
                _ => 0.0,
            };
            if !score[i].is_nan() && final_score(i) + bonus >= threshold {
                true
            } else if matches!(node.tag, Tag::P | Tag::Text) || node.tag.is_heading() {
                let len = page.chars[i];
                let ld = page.link_density(i);
                (len > 80 && ld < 0.25)
                    || (len > 0 && len <= 80 && ld == 0.0 && ends_sentence(page, i))
            } else {
                false
            }
        };
        if keep {
            chosen.push(i as NodeId);
        }
        i = next;
    }
    chosen
}

/// Whether the text of subtree `i` ends with sentence punctuation.
fn ends_sentence(page: &Page<'_>, i: usize) -> bool {
    let dom = page.dom;
    let end = dom.nodes[i].end as usize;
    (i..end)
        .rev()
        .filter(|&j| dom.nodes[j].tag == Tag::Text && !page.removed[j])
        .map(|j| dom.node_text(j as NodeId).trim_end())
        .find(|t| !t.is_empty())
        .is_some_and(|t| t.ends_with(['.', '!', '?', '。', '！', '？', ':', '"', '”']))
}

/// A line of output under construction.
#[derive(Default)]
struct Line {
    text: String,
    link_chars: usize,
    chars: usize,
    heading: bool,
}

struct Emitter {
    lines: Vec<Line>,
    cur: Line,
    space: bool,
}

impl Emitter {
    fn flush(&mut self) {
        let line = std::mem::take(&mut self.cur);
        if !line.text.trim().is_empty() {
            self.lines.push(line);
        }
        self.space = false;
    }

    fn push_text(&mut self, text: &str, link: bool, pre: bool) {
        for c in text.chars() {
            if pre && c == '\n' {
                self.flush();
            } else if c.is_whitespace() {
                self.space = !self.cur.text.is_empty();
            } else {
                if self.space {
                    self.cur.text.push(' ');
                    self.space = false;
                }
                self.cur.text.push(c);
                self.cur.chars += 1;
                if link {
                    self.cur.link_chars += 1;
                }
            }
        }
    }
}

/// The lines of text under `roots`, one per block.
fn emit(page: &Page<'_>, roots: &[NodeId], skip: &dyn Fn(usize) -> bool) -> Vec<Line> {
    let dom = page.dom;
    let mut out = Emitter {
        lines: Vec::new(),
        cur: Line::default(),
        space: false,
    };
    for &root in roots {
        let root = root as usize;
        let end = dom.nodes[root].end as usize;
        // Open blocks (their subtree ends) and whether a `pre` is open.
        let mut blocks: Vec<(usize, bool)> = Vec::new();
        let mut heading_until = 0usize;
        let mut i = root;
        while i < end {
            while blocks.last().is_some_and(|&(e, _)| e <= i) {
                blocks.pop();
                out.flush();
            }
            let node = &dom.nodes[i];
            if page.removed[i] || (i != root && skip(i)) {
                i = node.end as usize;
                continue;
            }
            match node.tag {
                Tag::Text => {
                    let pre = blocks.last().is_some_and(|&(_, p)| p);
                    out.push_text(dom.node_text(i as NodeId), page.in_link[i], pre);
                    if i < heading_until {
                        out.cur.heading = true;
                    }
                }
                Tag::Br | Tag::Hr => out.flush(),
                Tag::Td | Tag::Th => out.space = !out.cur.text.is_empty(),
                t if t.is_block() => {
                    out.flush();
                    let pre = t == Tag::Pre || blocks.last().is_some_and(|&(_, p)| p);
                    blocks.push((node.end as usize, pre));
                    if t.is_heading() {
                        heading_until = node.end as usize;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        out.flush();
    }
    out.lines
}

/// What [`extract`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extracted {
    /// The page title (`<title>`).
    pub title: String,
    /// The main text, one paragraph a line.
    pub text: String,
}

/// The main text of a parsed page.
pub fn extract_dom(dom: &Dom) -> Extracted {
    let page = Page::new(dom);
    let mut lines = if std::env::var_os("TAMIS_X_MASS").is_some() {
        let drop: f64 = std::env::var("TAMIS_X_DROP")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::INFINITY);
        let (roots, mass) = choose_mass(&page);
        emit(&page, &roots, &|i| mass[i] < -drop)
    } else {
        let roots = choose(&page);
        emit(&page, &roots, &|_| false)
    };
    lines.retain(|l| l.heading || l.link_chars * 2 <= l.chars);
    let mut seen = std::collections::HashSet::new();
    let mut text = String::new();
    for l in &lines {
        let t = l.text.trim();
        // Repeated lines go (trafilatura `deduplicate`), short ones may repeat (list bullets).
        if t.chars().count() > 10 && !seen.insert(t) {
            continue;
        }
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(t);
    }
    Extracted {
        title: dom.title.clone(),
        text,
    }
}

fn knob(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
