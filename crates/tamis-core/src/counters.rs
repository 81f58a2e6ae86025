use std::collections::BTreeMap;

/// Named event counts a step records while processing (datatrove's `stat_update`).
///
/// A `BTreeMap` keeps the serialised order stable, so stats files diff cleanly between runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters(BTreeMap<String, u64>);

impl Counters {
    pub fn add(&mut self, key: &str, n: u64) {
        if let Some(v) = self.0.get_mut(key) {
            *v += n;
        } else {
            self.0.insert(key.to_owned(), n);
        }
    }

    pub fn incr(&mut self, key: &str) {
        self.add(key, 1);
    }

    pub fn get(&self, key: &str) -> u64 {
        self.0.get(key).copied().unwrap_or(0)
    }

    pub fn merge(&mut self, other: &Counters) {
        for (k, v) in &other.0 {
            self.add(k, *v);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.0.iter().map(|(k, v)| (k.as_str(), *v))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_adds_counts_per_key() {
        let mut a = Counters::default();
        a.incr("x");
        a.add("y", 3);
        let mut b = Counters::default();
        b.add("y", 2);
        b.incr("z");
        a.merge(&b);
        assert_eq!(
            (a.get("x"), a.get("y"), a.get("z"), a.get("w")),
            (1, 5, 1, 0)
        );
    }
}
