pub mod badwords;
pub mod paragraph;
pub mod quality;
