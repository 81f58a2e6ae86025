//! tamis-filters
