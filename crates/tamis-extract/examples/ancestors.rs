//! Debug aid: the ancestors (tag, class/id, hidden) of the first text node containing NEEDLE.
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let html = String::from_utf8_lossy(&std::fs::read(&a[1]).unwrap()).into_owned();
    let dom = tamis_extract::Dom::parse(&html);
    for (i, n) in dom.nodes.iter().enumerate() {
        if n.tag == tamis_extract::tag::Tag::Text && dom.node_text(i as u32).contains(&a[2]) {
            let mut id = n.parent;
            while id != 0 {
                let node = &dom.nodes[id as usize];
                let at = dom.node_attrs(id);
                println!(
                    "{:?} {:?} hidden={}",
                    node.tag,
                    at.map(|x| x.class_id.as_str()).unwrap_or(""),
                    at.is_some_and(|x| x.hidden)
                );
                id = node.parent;
            }
            return;
        }
    }
    println!("not found");
}
