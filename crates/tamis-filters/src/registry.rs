//! Every filter, one line each. The order is the order `tamis filters` lists them.

use crate::{
    C4BadWords, C4Paragraph, C4Quality, Extract, FastTextClassifier, FilterEntry, FineWebQuality,
    Fineweb2LanguageScore, Fineweb2Precision, Fineweb2Quality, GopherQuality, GopherRepetition,
    Language, RegexFilter, Sampler, UnigramLogProb, UrlFilter,
};

static REGISTRY: [FilterEntry; 16] = [
    FilterEntry::of::<UrlFilter>(),
    FilterEntry::of::<Extract>(),
    FilterEntry::of::<Language>(),
    FilterEntry::of::<GopherRepetition>(),
    FilterEntry::of::<GopherQuality>(),
    FilterEntry::of::<C4Quality>(),
    FilterEntry::of::<FineWebQuality>(),
    FilterEntry::of::<Fineweb2LanguageScore>(),
    FilterEntry::of::<Fineweb2Quality>(),
    FilterEntry::of::<Fineweb2Precision>(),
    FilterEntry::of::<C4BadWords>(),
    FilterEntry::of::<C4Paragraph>(),
    FilterEntry::of::<RegexFilter>(),
    FilterEntry::of::<UnigramLogProb>(),
    FilterEntry::of::<Sampler>(),
    FilterEntry::of::<FastTextClassifier>(),
];

pub fn registry() -> &'static [FilterEntry] {
    &REGISTRY
}

pub fn lookup(id: &str) -> Option<&'static FilterEntry> {
    REGISTRY.iter().find(|e| e.id == id)
}
