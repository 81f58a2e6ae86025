//! Every step the pipeline can build: the document filters, then the line cleaners. Only this
//! crate knows both families.

use tamis_filters::FilterEntry;

static CLEANERS: [FilterEntry; 2] = [
    FilterEntry::of::<tamis_clean::LineClean>(),
    FilterEntry::of::<tamis_clean::Pii>(),
];

/// All steps, in the order `tamis filters` lists them.
pub fn step_registry() -> impl Iterator<Item = &'static FilterEntry> {
    tamis_filters::registry().iter().chain(CLEANERS.iter())
}

pub fn lookup_step(id: &str) -> Option<&'static FilterEntry> {
    step_registry().find(|e| e.id == id)
}
