//! Registry-wide checks over every step (filters and cleaners): each is documented, its defaults
//! build, unknown parameters are rejected, and the generated pages under docs/filters/ are
//! current (regenerate with `UPDATE_DOCS=1 cargo test -p tamis-pipeline --test registry`).

use std::path::Path;

use tamis_pipeline::step_registry;

#[test]
fn every_filter_is_documented_and_its_defaults_build() {
    for e in step_registry() {
        assert!(!e.description().is_empty(), "{}: no description", e.id);
        assert!(!e.origin.is_empty(), "{}: no origin", e.id);
        let schema = (e.schema)();
        // A step without parameters (`ftfy`) has no properties.
        let props = schema
            .get("properties")
            .and_then(|p| p.as_object())
            .cloned()
            .unwrap_or_default();
        for (name, prop) in &props {
            assert!(
                prop.get("description").is_some(),
                "{}: parameter `{name}` undocumented",
                e.id
            );
        }
        for params in [(e.defaults)(), serde_json::json!({})] {
            match (e.build)(&params) {
                Ok(_) => assert!(
                    e.required.is_empty(),
                    "{}: built without {:?}",
                    e.id,
                    e.required
                ),
                // A step with a required parameter (a model's path) names it when it is missing.
                Err(err) => assert!(
                    !e.required.is_empty()
                        && e.required
                            .iter()
                            .all(|r| err.to_string().contains(&format!("`{r}`"))),
                    "{}: defaults rejected: {err}",
                    e.id
                ),
            }
        }
        assert!(
            (e.build)(&serde_json::json!({"no_such_param": 1})).is_err(),
            "{}",
            e.id
        );
    }
}

#[test]
fn ids_are_unique_snake_case() {
    let mut ids: Vec<&str> = step_registry().map(|e| e.id).collect();
    let n = ids.len();
    assert!(ids.iter().all(|id| id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())));
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n);
}

#[test]
fn generated_docs_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/filters");
    let mut expected: Vec<String> = Vec::new();
    let update = std::env::var_os("UPDATE_DOCS").is_some();
    for e in step_registry() {
        let path = dir.join(format!("{}.md", e.id));
        expected.push(format!("{}.md", e.id));
        let fresh = e.render_docs();
        if update {
            std::fs::write(&path, &fresh).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "{} is stale: run `UPDATE_DOCS=1 cargo test -p tamis-pipeline --test registry`",
            path.display()
        );
    }
}
