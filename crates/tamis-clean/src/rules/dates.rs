//! `date_line`: a line that is only a date or time ("November 19, 2019 at 7:19 am", "10H ago",
//! "Mi., 12. Mai 2021").
//!
//! Publication stamps, comment timestamps and "updated" markers sit between the title and the
//! article and before every comment. trafilatura extracts them as metadata, not text; jusText
//! classes them as short blocks. A line made only of date and time tokens carries no text an
//! LM needs, so it is removed wherever it stands (the context rule would keep it between two
//! paragraphs). Month and weekday names cover English, German, French, Spanish, Italian,
//! Portuguese and Dutch.

use super::Line;

pub const ID: &str = "date_line";

/// Lowercased month and weekday names and abbreviations, and time words.
const DATE_WORDS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mon",
    "tue",
    "tues",
    "wed",
    "thu",
    "thur",
    "thurs",
    "fri",
    "sat",
    "sun",
    "am",
    "pm",
    "a.m",
    "p.m",
    "at",
    "on",
    "ago",
    "hours",
    "hour",
    "hrs",
    "minutes",
    "mins",
    "min",
    "days",
    "day",
    "weeks",
    "week",
    "months",
    "month",
    "years",
    "year",
    "gmt",
    "utc",
    "est",
    "edt",
    "cst",
    "cdt",
    "pst",
    "pdt",
    "bst",
    "cet",
    "cest",
    "ist",
    "updated",
    "published",
    "posted",
    "|",
    "-",
    "–",
    "—",
    "/",
    "·",
    "•",
    "@",
    // German
    "januar",
    "februar",
    "märz",
    "mai",
    "juni",
    "juli",
    "oktober",
    "dezember",
    "montag",
    "dienstag",
    "mittwoch",
    "donnerstag",
    "freitag",
    "samstag",
    "sonntag",
    "um",
    "uhr",
    "am",
    "aktualisiert",
    "veröffentlicht",
    // French
    "janvier",
    "février",
    "mars",
    "avril",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
    "le",
    "à",
    "h",
    "mis",
    "jour",
    "publié",
    // Spanish, Italian, Portuguese, Dutch
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
    "gennaio",
    "febbraio",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "settembre",
    "ottobre",
    "dicembre",
    "janeiro",
    "fevereiro",
    "março",
    "maio",
    "junho",
    "julho",
    "setembro",
    "outubro",
    "novembro",
    "dezembro",
    "januari",
    "februari",
    "maart",
    "mei",
    "augustus",
    "de",
    "del",
    "di",
    "às",
    "om",
];

/// Words in [`DATE_WORDS`] that join a date but do not make one.
const CONNECTORS: &[&str] = &["del", "às", "uhr", "mis", "jour"];

/// A token made of digits and date punctuation, possibly with a short unit or ordinal suffix
/// ("2019", "19/11/2019", "7:19", "10h", "3rd", "12.").
fn is_numeric_token(t: &str) -> bool {
    let digits = t
        .bytes()
        .take_while(|b| b.is_ascii_digit() || b"/.:-,".contains(b))
        .count();
    if digits == 0 || !t.as_bytes()[0].is_ascii_digit() {
        return false;
    }
    matches!(
        &t[digits..],
        "" | "h" | "m" | "d" | "w" | "y" | "st" | "nd" | "rd" | "th" | "am" | "pm" | "hrs" | "min"
    )
}

pub fn is_date_line(line: &Line<'_>) -> bool {
    if line.words > 10 || !line.text.bytes().any(|b| b.is_ascii_digit()) {
        return false;
    }
    // A bare number ("2019", "12") is not a date: it needs a month, weekday or time word of
    // three letters or more, or a token like "19/11/2019" or "7:19".
    let (mut has_number, mut has_date_word) = (false, false);
    for tok in line.lower().split_whitespace() {
        let t =
            tok.trim_matches(|c: char| matches!(c, ',' | '.' | ':' | '(' | ')' | '[' | ']' | ';'));
        if t.is_empty() {
            continue;
        }
        if is_numeric_token(t) {
            has_number = true;
            has_date_word |= t.contains(['/', ':']);
        } else if DATE_WORDS.contains(&t) {
            has_date_word |= t.chars().count() >= 3 && !CONNECTORS.contains(&t);
        } else {
            return false;
        }
    }
    has_number && has_date_word
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> bool {
        is_date_line(&Line::new(s))
    }

    #[test]
    fn dates_and_times() {
        assert!(date("November 19, 2019 at 7:19 am"));
        assert!(date("October 12, 2017"));
        assert!(date("10H ago"));
        assert!(date("Updated: 19/11/2019 14:05 GMT"));
        assert!(date("Mittwoch, 12. Mai 2021"));
        assert!(date("12 de mayo de 2019"));
        assert!(date("Published on March 3, 2019"));
    }

    #[test]
    fn sentences_with_dates_are_not() {
        assert!(!date("On March 3, 2019 the bridge closed."));
        assert!(!date("Table 3"));
        assert!(!date("2019"));
        assert!(!date("Founded in 1999"));
    }
}
