#![no_main]
//! The HTML tree builder and the main-text extractor over arbitrary bytes (as lossy UTF-8):
//! no panic, and the tree is well formed (every subtree is a contiguous range inside its
//! parent's, text ranges are valid slices of the text buffer).

use libfuzzer_sys::fuzz_target;
use tamis_extract::{dom::Node, extract, extract_dom, tag::Tag, Dom, ExtractError, Limits};

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let dom = Dom::parse(&html);
    check_tree(&dom);
    let out = extract_dom(&dom);
    let limits = Limits {
        max_bytes: 1 << 19,
        max_nodes: 1 << 14,
    };
    match extract(&html, &limits) {
        Ok(e) => assert_eq!(e, out, "extract = parse + extract_dom"),
        Err(ExtractError::TooLarge(n, max)) => assert!(n > max && html.len() > limits.max_bytes),
        Err(ExtractError::TooManyNodes(n, max)) => {
            assert!(n > max && dom.nodes.len() > limits.max_nodes)
        }
    }
});

fn check_tree(dom: &Dom) {
    let n = dom.nodes.len();
    let root: &Node = &dom.nodes[0];
    assert_eq!(root.tag, Tag::Root);
    assert_eq!(root.end as usize, n, "the root spans every node");
    for (i, node) in dom.nodes.iter().enumerate().skip(1) {
        let p = node.parent as usize;
        assert!(p < i, "a parent comes before its children");
        assert!(i < node.end as usize && node.end as usize <= n);
        // Inside the parent's range, so subtrees nest and are contiguous.
        assert!(
            node.end <= dom.nodes[p].end,
            "node {i} ends past its parent {p}"
        );
        let (a, b) = node.text;
        assert!(a <= b && b as usize <= dom.text.len());
        assert!(dom.text.is_char_boundary(a as usize) && dom.text.is_char_boundary(b as usize));
        if let Some(k) = node.attrs {
            assert!((k as usize) < dom.attrs.len());
        }
        if node.tag == Tag::Text {
            assert_eq!(node.end as usize, i + 1, "text nodes are leaves");
        }
    }
}
