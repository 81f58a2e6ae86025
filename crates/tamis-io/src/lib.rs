//! tamis-io
