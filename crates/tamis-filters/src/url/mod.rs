pub mod filter;
mod suffix;
