//! Token counting: the number of GPT-2 BPE tokens of each document, as datatrove's
//! `TokensCounter` writes it to `metadata.token_count`.
//!
//! The vocabulary and merges come compiled into `tiktoken-rs` (its `r50k_base.tiktoken`, the
//! file OpenAI publishes for GPT-2, sha256 `306cd27f…`), so counting needs no download. It is a
//! crate of its own because the tokenizer tables are large and only this step needs them.

use serde::{Deserialize, Serialize};
use tamis_core::{ConfigError, Ctx, Document, Step, Verdict};
use tamis_filters::Filter;
use tiktoken_rs::CoreBPE;

/// Token counter: stores the number of GPT-2 tokens of the text in `metadata.token_count`
/// (replacing any value there), as datatrove's `TokensCounter` does with its default
/// tokenizer, and adds it to the step's `tokens` counter. Never drops a document.
///
/// Counts equal tiktoken's `gpt2` encoding (`len(enc.encode(text, allowed_special="all"))`):
/// the GPT-2 pre-tokenizer expression, byte-level BPE, and `<|endoftext|>` in the text counted
/// as the one special token it is, as Hugging Face's `gpt2` tokenizer (which datatrove loads)
/// also counts it. Other tokenizers are not available.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TokenCountConfig {
    /// Tokenizer name; only `gpt2` (datatrove's default) is available.
    pub tokenizer_name_or_path: String,
    /// Count one end-of-text token per document (+1).
    pub count_eos_token: bool,
}

impl Default for TokenCountConfig {
    fn default() -> Self {
        Self {
            tokenizer_name_or_path: "gpt2".into(),
            count_eos_token: false,
        }
    }
}

pub struct TokenCount {
    cfg: TokenCountConfig,
    bpe: &'static CoreBPE,
}

impl Filter for TokenCount {
    type Config = TokenCountConfig;
    const ID: &'static str = "token_count";
    const ORIGIN: &'static str = "Radford et al. 2019, Language Models are Unsupervised \
        Multitask Learners (GPT-2 byte-level BPE); datatrove 0.10.1 \
        datatrove/pipeline/tokens/counter.py (TokensCounter); counts as OpenAI tiktoken's gpt2 \
        encoding, via the tiktoken-rs crate";
    const REASONS: &'static [&'static str] = &[];

    fn build(cfg: Self::Config) -> Result<Self, ConfigError> {
        if cfg.tokenizer_name_or_path != "gpt2" {
            return Err(ConfigError::new(
                Self::ID,
                format!(
                    "`tokenizer_name_or_path` = {:?}: only \"gpt2\" is available",
                    cfg.tokenizer_name_or_path
                ),
            ));
        }
        Ok(Self {
            cfg,
            // GPT-2's encoding is r50k_base: same ranks, expression and special token.
            bpe: tiktoken_rs::r50k_base_singleton(),
        })
    }
}

impl TokenCount {
    /// The token count of `text`, end-of-text token included when configured.
    pub fn count(&self, text: &str) -> usize {
        self.bpe.encode_with_special_tokens(text).len() + usize::from(self.cfg.count_eos_token)
    }
}

impl Step for TokenCount {
    fn id(&self) -> &'static str {
        Self::ID
    }

    fn process(&self, doc: &mut Document, ctx: &mut Ctx<'_>) -> Verdict {
        let n = self.count(&doc.text);
        doc.metadata.insert("token_count".into(), n.into());
        ctx.counters.add("tokens", n as u64);
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_gpt2_tokens() {
        let t = TokenCount::build(TokenCountConfig::default()).unwrap();
        // Known GPT-2 tokenisations: "Hello world" = [15496, 995].
        assert_eq!(t.count("Hello world"), 2);
        assert_eq!(t.count(""), 0);
        assert_eq!(t.count("<|endoftext|>"), 1);
        let eos = TokenCount::build(TokenCountConfig {
            count_eos_token: true,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(eos.count("Hello world"), 3);
        assert!(TokenCount::build(TokenCountConfig {
            tokenizer_name_or_path: "bert-base-uncased".into(),
            ..Default::default()
        })
        .is_err());
    }
}
