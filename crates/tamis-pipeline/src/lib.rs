//! tamis-pipeline
