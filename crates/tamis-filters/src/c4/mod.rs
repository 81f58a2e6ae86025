pub mod badwords;
pub mod quality;
