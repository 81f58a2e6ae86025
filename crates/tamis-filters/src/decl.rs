use serde::de::DeserializeOwned;
use serde::Serialize;
use tamis_core::{ConfigError, Step};

/// The one declaration of a filter; everything else (registry entry, docs, schema) derives from
/// it. The pattern follows ruff's one-file-per-rule and vector's config-then-`build()`.
pub trait Filter: Step + Sized + 'static {
    /// Parameters. Its `Default` is the reference tool's defaults; its doc comment is the
    /// filter's documentation; unknown fields are rejected (`deny_unknown_fields`).
    type Config: Serialize + DeserializeOwned + Default + schemars::JsonSchema;
    /// Stable snake_case id used in pipeline files and stats.
    const ID: &'static str;
    /// Where the rule comes from: paper, project and file.
    const ORIGIN: &'static str;
    /// Every reason `process` can drop a document with (for the default parameters); empty
    /// for a step that only edits or labels documents.
    const REASONS: &'static [&'static str];
    /// Parameters without a usable default (a model's path): `build` refuses the defaults
    /// naming each of them, and the docs mark them required.
    const REQUIRED: &'static [&'static str] = &[];
    /// Validates every parameter before any document is read.
    fn build(config: Self::Config) -> Result<Self, ConfigError>;
}

/// A registry row: the declaration of one filter, type-erased.
pub struct FilterEntry {
    pub id: &'static str,
    pub origin: &'static str,
    pub reasons: &'static [&'static str],
    /// Parameters that must be given (see [`Filter::REQUIRED`]).
    pub required: &'static [&'static str],
    /// JSON schema of the parameters, with each field's documentation.
    pub schema: fn() -> schemars::Schema,
    /// The default parameters as JSON.
    pub defaults: fn() -> serde_json::Value,
    /// Parses and validates parameters (a JSON object, possibly partial) and builds the step.
    pub build: fn(&serde_json::Value) -> Result<Box<dyn Step>, ConfigError>,
}

impl FilterEntry {
    pub const fn of<F: Filter>() -> Self {
        Self {
            id: F::ID,
            origin: F::ORIGIN,
            reasons: F::REASONS,
            required: F::REQUIRED,
            schema: || schemars::schema_for!(F::Config),
            defaults: || serde_json::to_value(F::Config::default()).unwrap_or_default(),
            build: |params| {
                let config: F::Config =
                    serde_path_to_error::deserialize(params.clone()).map_err(|e| {
                        let path = e.path().to_string();
                        let inner = e.into_inner();
                        if path == "." {
                            ConfigError::new(F::ID, inner.to_string())
                        } else {
                            ConfigError::new(F::ID, format!("parameter `{path}`: {inner}"))
                        }
                    })?;
                Ok(Box::new(F::build(config)?))
            },
        }
    }

    /// The filter's documentation: its config struct's doc comment.
    pub fn description(&self) -> String {
        let schema = (self.schema)();
        schema
            .get("description")
            .and_then(|d| d.as_str())
            .unwrap_or_default()
            .to_owned()
    }
}

impl FilterEntry {
    /// The filter's reference page (Markdown): what `tamis explain` prints and what
    /// `docs/filters/<id>.md` holds.
    pub fn render_docs(&self) -> String {
        use std::fmt::Write;
        let mut s = format!(
            "# `{}`\n\n{}\n\n**Origin:** {}\n\n",
            self.id,
            self.description(),
            self.origin
        );
        s.push_str("## Parameters\n\n| name | default | meaning |\n| --- | --- | --- |\n");
        let schema = (self.schema)();
        let defaults = (self.defaults)();
        if let Some(props) = schema.get("properties").and_then(|p| p.as_object()) {
            for (name, prop) in props {
                let default = if self.required.contains(&name.as_str()) {
                    "required".to_owned()
                } else {
                    defaults
                        .get(name)
                        .map(|v| format!("`{v}`"))
                        .unwrap_or_default()
                };
                let doc = prop
                    .get("description")
                    .and_then(|d| d.as_str())
                    .unwrap_or_default();
                let _ = writeln!(s, "| `{name}` | {default} | {} |", doc.replace('\n', " "));
            }
        }
        s.push_str("\n## Drop reasons\n\n");
        if self.reasons.is_empty() {
            s.push_str("None: this step never drops a document.\n");
        }
        for r in self.reasons {
            let _ = writeln!(s, "- `{r}`");
        }
        s
    }
}

/// Shared parameter checks, so every filter words its errors the same way.
pub(crate) fn check_fraction(step: &str, field: &str, v: f64) -> Result<(), ConfigError> {
    if v.is_finite() && (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(ConfigError::new(
            step,
            format!("`{field}` must be a fraction in [0, 1], got {v}"),
        ))
    }
}

/// The word tokenizer datatrove uses for `language` (`load_word_tokenizer`), or an error naming
/// the language when tamis does not reproduce it: accepting it silently would change results.
pub(crate) fn check_language(
    step: &str,
    language: &str,
) -> Result<tamis_text::words::WordTokenizer, ConfigError> {
    tamis_text::words::WordTokenizer::for_language(language)
        .map_err(|e| ConfigError::new(step, format!("`language`: {e}")))
}
