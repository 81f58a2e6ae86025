//! FineWeb-2's per-language settings (HF, 2024-25; `configs/<lang>_<Script>.yml` in
//! huggingface/fineweb-2, Apache-2.0), bundled as `data/fineweb2/configs.jsonl.zst` by
//! `tools/gen_fineweb2_configs.py`, and the steps that apply them document by document.

pub(crate) mod language_score;
pub(crate) mod precision;
pub(crate) mod quality;

use std::io::Read;
use std::sync::OnceLock;

use serde::Deserialize;

const CONFIGS: &[u8] = include_bytes!("../../data/fineweb2/configs.jsonl.zst");

/// One language's settings, as `fineweb-2-pipeline.py` reads them from its YAML file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LangConfig {
    /// `<ISO 639-3>_<ISO 15924>`, as GlotLID labels it ("por_Latn").
    pub name: String,
    pub dup_line_frac: f64,
    pub dup_n_grams: Vec<(usize, f64)>,
    pub top_n_grams: Vec<(usize, f64)>,
    pub language_score: f64,
    pub line_punct_thr: f64,
    pub max_avg_word_length: f64,
    pub min_avg_word_length: f64,
    pub max_non_alpha_words_ratio: f64,
    pub new_line_ratio: f64,
    pub stopwords: Vec<String>,
}

/// Every language's settings, sorted by name.
pub fn configs() -> &'static [LangConfig] {
    static PARSED: OnceLock<Vec<LangConfig>> = OnceLock::new();
    PARSED.get_or_init(|| {
        let mut raw = String::new();
        zstd::Decoder::new(CONFIGS)
            .and_then(|mut d| d.read_to_string(&mut raw))
            .expect("bundled FineWeb-2 configs decompress");
        let v: Vec<LangConfig> = raw
            .lines()
            .map(|l| serde_json::from_str(l).expect("bundled FineWeb-2 config parses"))
            .collect();
        assert!(v.windows(2).all(|w| w[0].name < w[1].name), "sorted");
        v
    })
}

/// The index in [`configs`] of language `name` ("por_Latn").
pub fn config_index(name: &str) -> Option<usize> {
    configs()
        .binary_search_by(|c| c.name.as_str().cmp(name))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_load_with_fineweb2_values() {
        let c = configs();
        assert_eq!(c.len(), 1929);
        let por = &c[config_index("por_Latn").expect("por_Latn")];
        assert_eq!(por.dup_line_frac, 0.287);
        assert_eq!(por.language_score, 0.799);
        assert_eq!(por.dup_n_grams[0], (5, 0.163));
        assert_eq!(por.top_n_grams.len(), 3);
        assert!(por.stopwords.iter().any(|w| w == "que"));
        assert!(config_index("xyz_Latn").is_none());
    }
}
