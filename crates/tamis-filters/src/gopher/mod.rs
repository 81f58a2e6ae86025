pub mod quality;
pub mod repetition;
