//! Main-content extraction over a parsed [`Dom`].
//!
//! Three passes, each a loop over node indices:
//! 1. prune: elements that never hold main content (scripts, forms' controls, navigation,
//!    hidden elements) and elements whose class or id names boilerplate, unless they wrap most
//!    of the page;
//! 2. choose: weigh every block's own text, for its container when it reads as prose (70+
//!    characters, under 30% links), against it when it is mostly links or very short
//!    (block classes after jusText, Pomikálek 2011, ch. 4), and take the element with the
//!    greatest net weight: the smallest element around all of the article's paragraphs that
//!    does not take in more chrome than it gains text. An element the site's own markup names
//!    as the article body (`itemprop="articleBody"`, `entry-content`; trafilatura's
//!    `BODY_XPATH` in `trafilatura/xpaths.py` lists the same conventions) wins when it holds
//!    a fair share of that weight. Too little text found means the page is no article: then
//!    every surviving block is kept;
//! 3. emit: the chosen subtrees' text, one line per block, dropping link lists and repeated
//!    lines (trafilatura's `deduplicate`).

use crate::dom::{Dom, NodeId};
use crate::tag::Tag;

/// Weight of link-dominated text against the container holding it: navigation counts more
/// than its length.
const LINK_PENALTY: f64 = 1.25;
/// A heading that is a link (a teaser's headline) weighs at least this much against its
/// container, more than the summary under it, so a list of teasers loses to the article.
const LINKED_HEADING: f64 = 200.0;
/// Weight of short blocks with links (under 25 characters: menu items, tags, buttons); short
/// blocks without links (list items, table cells, ingredients) weigh nothing either way.
const SHORT_PENALTY: f64 = 0.5;
/// Inside the chosen container, subtrees whose net weight is below minus this are left out
/// (a related-links box inside the article).
const DROP_MASS: f64 = 30.0;
/// A container named as the article body wins if it holds this share of the best weight.
const NAMED_SHARE: f64 = 0.5;
/// Below this many characters of main text, every surviving block is kept instead.
const MIN_CHARS: usize = 250;

/// Lines (almost) all link and shorter than this are dropped.
const LINK_LINE_CHARS: usize = 30;
/// Lines shorter than this after the last paragraph of prose are trailers, not content.
const TRAILER_CHARS: usize = 30;

/// Class and id words that name boilerplate containers.
#[rustfmt::skip]
const NEGATIVE: &[&str] = &[
    "ad", "ads", "adv", "advert", "advertisement", "advertising", "affiliate", "agegate", "banner",
    "breadcrumb", "breadcrumbs", "byline", "combx", "comment", "comments", "commentlist",
    "community", "consent", "cookie", "cookies", "disqus", "footer", "footnotes", "gdpr", "header",
    "login", "masthead", "menu", "modal", "nav", "navbar", "navigation", "newsletter", "outbrain",
    "pagination", "pager", "popup", "promo", "recommended", "related", "remark", "replies", "rss",
    "share", "sharing", "shoutbox", "sidebar", "signup", "skip", "skyscraper", "social", "sponsor",
    "sponsored", "subscribe", "subscription", "taboola", "tags", "toolbar", "tools",
];

/// Class and id words of what surrounds an article's text: captions and credits, bylines,
/// dates and author boxes, teasers (trafilatura leaves these out of its output too).
#[rustfmt::skip]
const META: &[&str] = &[
    "caption", "credit", "credits", "meta", "date", "dateline", "timestamp", "author", "authors",
    "bio", "teaser", "teasers", "trending", "popular", "recirc", "respond", "reply", "rating",
    "breadcrumbs", "copyright", "disclaimer",
];

/// Class and id words that name the content container.
#[rustfmt::skip]
const POSITIVE: &[&str] = &[
    "article", "articlebody", "body", "content", "entry", "hentry", "main", "page", "post",
    "story", "text", "blog",
];

/// Roles (WAI-ARIA) of boilerplate landmarks.
#[rustfmt::skip]
const NEGATIVE_ROLES: &[&str] = &[
    "navigation", "banner", "contentinfo", "complementary", "menu", "menubar", "search", "dialog",
    "alert",
];

/// The words of class names and ids, leaving out state and layout modifiers that say what an
/// element contains or sits next to rather than what it is (`has-sidebar`, `with-ads`, the
/// BEM modifier in `section--has-ads`).
fn words(class_id: &str) -> impl Iterator<Item = &str> {
    class_id
        .split_ascii_whitespace()
        .map(|name| name.split("--").next().unwrap_or_default())
        .filter(|name| {
            !["has-", "has_", "with-", "with_", "no-", "no_", "is-", "js-"]
                .iter()
                .any(|p| name.starts_with(p))
        })
        .flat_map(|name| name.split(|c: char| !c.is_ascii_alphanumeric()))
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
    /// Text nodes: inside a link.
    in_link: Vec<bool>,
}

/// Characters of `text` with whitespace runs counted as one.
fn measure(text: &str) -> u32 {
    let mut chars = 0u32;
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
        }
    }
    chars
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
            in_link,
        };
        page.measure();
        // Boilerplate by name, unless the element holds most of the page or the page's main
        // landmark: then it is a layout wrapper (`<div id="page" class="has-sidebar">`,
        // `<div id="skyscraper-height">` around `<main>`).
        let total = page.chars[0].max(1);
        let mut holds_main = vec![false; n];
        for i in (1..n).rev() {
            if main_landmark(dom, i as NodeId) {
                holds_main[i] = true;
            }
            if holds_main[i] {
                holds_main[dom.nodes[i].parent as usize] = true;
            }
        }
        // Prose (blocks of 70+ characters, few links) under each element: a named sidebar or
        // header that holds most of the page's prose is a misnamed layout wrapper
        // (`zen-one-sidebar-second`), unless it is named as comments or a footer.
        let (own_chars, own_links) = own_text(&page);
        let mut prose = vec![0u64; n];
        for i in (1..n).rev() {
            if own_chars[i] >= 70 && own_links[i] * 10 < own_chars[i] * 3 {
                prose[i] += u64::from(own_chars[i]);
            }
            prose[dom.nodes[i].parent as usize] += prose[i];
        }
        let mut by_name = vec![false; n];
        for i in 1..n {
            if page.removed[i] {
                continue;
            }
            let p = dom.nodes[i].parent as usize;
            by_name[i] = by_name[p]
                || (boilerplate_name(dom, i as NodeId)
                    && !holds_main[i]
                    && u64::from(page.chars[i]) * 3 < u64::from(total) * 2
                    && (prose[i] * 2 <= prose[0] || comments_name(dom, i as NodeId)));
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
        for i in (1..dom.nodes.len()).rev() {
            if self.removed[i] {
                continue;
            }
            let node = &dom.nodes[i];
            if node.tag == Tag::Text {
                let c = measure(dom.node_text(i as NodeId));
                self.chars[i] = c;
                if self.in_link[i] {
                    self.link_chars[i] = c;
                }
            }
            let p = node.parent as usize;
            self.chars[p] += self.chars[i];
            self.link_chars[p] += self.link_chars[i];
        }
    }
}

/// Whether class word `w` is one of `list`, or a compound starting with one of its longer
/// words (`relatedposts`, `sharedaddy`, `commentlist`).
fn names(list: &[&str], w: &str) -> bool {
    list.iter()
        .any(|n| w == *n || (n.len() >= 5 && w.len() > n.len() && w.starts_with(n)))
}

/// Class or id words of comment sections and footers, which never wrap a page's content.
fn comments_name(dom: &Dom, id: NodeId) -> bool {
    dom.node_attrs(id).is_some_and(|a| {
        words(&a.class_id).any(|w| {
            matches!(
                w,
                "comment"
                    | "comments"
                    | "commentlist"
                    | "replies"
                    | "disqus"
                    | "respond"
                    | "reply"
                    | "footer"
            )
        })
    })
}

/// `<main>`, `role="main"` or `itemprop="articleBody"`: the page's own mark of its content.
fn main_landmark(dom: &Dom, id: NodeId) -> bool {
    dom.nodes[id as usize].tag == Tag::Main
        || dom
            .node_attrs(id)
            .is_some_and(|a| a.role == "main" || a.itemprop.contains("articlebody"))
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
    // A content word (`post-sidebar-layout`) vouches for a container, not for its meta line
    // (`entry-meta`).
    let positive = words(&a.class_id).any(|w| POSITIVE.contains(&w));
    let named = words(&a.class_id).any(|w| (!positive && names(NEGATIVE, w)) || names(META, w));
    named && !(a.itemprop.contains("articlebody") || a.role == "main" || content_name(dom, id))
}

/// Class, id or itemprop values that CMS templates give the article body.
#[rustfmt::skip]
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
    a.itemprop
        .split_ascii_whitespace()
        .any(|v| v == "articlebody" || v == "text")
        || a.class_id
            .split_ascii_whitespace()
            .any(|c| CONTENT_NAMES.iter().any(|n| c.contains(n)))
}

/// Text owned directly by each block (not by a nested block): characters, and of them in links.
fn own_text(page: &Page<'_>) -> (Vec<u32>, Vec<u32>) {
    let dom = page.dom;
    let n = dom.nodes.len();
    let mut owner = vec![0u32; n];
    let mut own_chars = vec![0u32; n];
    let mut own_links = vec![0u32; n];
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
        }
    }
    (own_chars, own_links)
}

/// The subtree holding the most prose net of boilerplate: each block's own text counts for
/// it when it reads as prose (long enough, few links) and against it when it is short or
/// mostly links, so the winner is the smallest element around all the article's paragraphs
/// that does not take in more chrome than it gains text (a maximum-weight subtree, after
/// the block classes of jusText, Pomikálek 2011, ch. 4).
fn choose(page: &Page<'_>) -> (Vec<NodeId>, Vec<f64>) {
    let dom = page.dom;
    let n = dom.nodes.len();
    let (own_chars, own_links) = own_text(page);
    let mut mass = vec![0f64; n];
    for i in (1..n).rev() {
        if page.removed[i] {
            continue;
        }
        let c = f64::from(own_chars[i]);
        if c > 0.0 {
            let ld = f64::from(own_links[i]) / c;
            let heading = dom.nodes[i].tag.is_heading();
            mass[i] += if ld > 0.5 && heading {
                -(LINK_PENALTY * c).max(LINKED_HEADING)
            } else if ld > 0.5 {
                -LINK_PENALTY * c
            } else if heading {
                0.0
            } else if own_chars[i] >= 70 && ld < 0.3 {
                c
            } else if own_chars[i] < 25 && own_links[i] > 0 {
                -SHORT_PENALTY * c
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
    {
        let mut named: Option<usize> = None;
        for i in 1..n {
            if !page.removed[i]
                && mass[i] >= NAMED_SHARE * mass[best]
                && page.chars[i] >= 200
                && content_name(dom, i as NodeId)
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

/// The article's lead (standfirst, excerpt, summary) when it sits before the chosen body in
/// the same `<article>`: templates put it in the article header, apart from the body.
fn with_lead(page: &Page<'_>, roots: Vec<NodeId>) -> Vec<NodeId> {
    let dom = page.dom;
    let [root] = roots[..] else {
        return roots;
    };
    let mut a = dom.nodes[root as usize].parent;
    for _ in 0..6 {
        if a == 0 || dom.nodes[a as usize].tag == Tag::Article {
            break;
        }
        a = dom.nodes[a as usize].parent;
    }
    if a == 0 || dom.nodes[a as usize].tag != Tag::Article {
        return roots;
    }
    let mut out = Vec::new();
    let mut i = a as usize + 1;
    while i < root as usize {
        let node = &dom.nodes[i];
        if page.removed[i] {
            i = node.end as usize;
            continue;
        }
        // Ancestors of the body are entered, not taken.
        if node.end > root {
            i += 1;
            continue;
        }
        let lead = dom
            .node_attrs(i as NodeId)
            .is_some_and(|at| words(&at.class_id).any(|w| LEAD.contains(&w)));
        if lead && page.chars[i] >= 40 {
            out.push(i as NodeId);
            i = node.end as usize;
        } else {
            i += 1;
        }
    }
    out.push(root);
    out
}

/// Class words of an article's lead paragraph.
const LEAD: &[&str] = &[
    "lead",
    "excerpt",
    "summary",
    "intro",
    "standfirst",
    "dek",
    "deck",
    "abstract",
    "lede",
    "subline",
    "subheadline",
    "kicker",
];

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

/// What [`extract_dom`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extracted {
    /// The page title (`<title>`).
    pub title: String,
    /// The main text, one paragraph a line.
    pub text: String,
    /// Elements nested deeper than [`crate::dom::MAX_DEPTH`] and so flattened.
    pub flattened: usize,
}

/// The main text of a parsed page.
pub fn extract_dom(dom: &Dom) -> Extracted {
    let page = Page::new(dom);
    let (roots, mass) = choose(&page);
    let roots = with_lead(&page, roots);
    let mut lines = emit(&page, &roots, &|i| mass[i] < -DROP_MASS);
    let kept: usize = lines.iter().map(|l| l.chars).sum();
    // Too little found: the page is not an article (a recipe card, a forum, a list); keep
    // every block that survived pruning rather than almost nothing.
    if kept < MIN_CHARS {
        let all = emit(&page, &[0], &|_| false);
        if all.iter().map(|l| l.chars).sum::<usize>() > kept {
            lines = all;
        }
    }
    // Short lines that are all link are navigation (`Home`, `Next post`); longer linked
    // lines inside the content are kept (lists of sources, linked headings).
    lines.retain(|l| l.heading || l.link_chars * 10 < l.chars * 9 || l.chars >= LINK_LINE_CHARS);
    // The headline repeats the title, which goes to metadata (trafilatura keeps it there too).
    if !dom.title.is_empty() {
        if let Some(pos) = lines.iter().take(5).position(|l| {
            l.heading && l.text.trim().chars().count() >= 10 && dom.title.contains(l.text.trim())
        }) {
            lines.remove(pos);
        }
    }
    // After the last paragraph of prose come the article's trailers (tags, share prompts,
    // "related posts" headings, the author's name): short lines with no prose after them.
    if let Some(last) = lines.iter().rposition(|l| l.chars >= 70) {
        let mut end = lines.len();
        while end > last + 1 && lines[end - 1].chars < TRAILER_CHARS {
            end -= 1;
        }
        lines.truncate(end);
    }
    // A heading or a line announcing a list ("Read also:") with nothing after it; a page with
    // no paragraph of prose keeps its lines.
    let prose_lines = lines.iter().filter(|l| l.chars >= 70).count();
    while prose_lines > 0
        && lines.last().is_some_and(|l| {
            let t = l.text.trim_end();
            l.chars < TRAILER_CHARS || l.heading || t.ends_with(':') || t.starts_with('©')
        })
    {
        lines.pop();
    }
    lines.retain(|l| !credit_line(&l.text));
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
        flattened: dom.flattened,
    }
}

/// A picture credit or copyright line: `Foto: ...`, `(Credit: ...)`, `... © Agency`.
fn credit_line(text: &str) -> bool {
    if text.chars().count() > 150 {
        return false;
    }
    let lower = text.trim_start_matches(['(', '[', ' ']).to_lowercase();
    text.contains('©')
        || [
            "foto:",
            "fotos:",
            "photo:",
            "photos:",
            "bild:",
            "bilder:",
            "credit:",
            "credits:",
            "image:",
            "images:",
            "quelle:",
            "source:",
            "źródło:",
            "fuente:",
            "beitragsbild",
            "titelbild",
            "picture:",
            "abbildung",
            "photo credit",
            "image credit",
        ]
        .iter()
        .any(|p| lower.starts_with(p))
}
