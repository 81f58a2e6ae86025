//! Every step the pipeline can build: the document filters, the cleaners, then the labellers.
//! Only this crate knows every family.

use tamis_filters::FilterEntry;

static CLEANERS: [FilterEntry; 4] = [
    FilterEntry::of::<tamis_clean::LineClean>(),
    FilterEntry::of::<tamis_clean::Pii>(),
    FilterEntry::of::<tamis_clean::Ftfy>(),
    FilterEntry::of::<tamis_clean::SymbolLines>(),
];

/// Steps that only label documents.
static LABELLERS: [FilterEntry; 1] = [FilterEntry::of::<tamis_tokens::TokenCount>()];

/// All steps, in the order `tamis filters` lists them.
pub fn step_registry() -> impl Iterator<Item = &'static FilterEntry> {
    tamis_filters::registry()
        .iter()
        .chain(CLEANERS.iter())
        .chain(LABELLERS.iter())
}

pub fn lookup_step(id: &str) -> Option<&'static FilterEntry> {
    step_registry().find(|e| e.id == id)
}
