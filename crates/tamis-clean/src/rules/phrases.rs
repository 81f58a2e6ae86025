//! `breadcrumb` and `boilerplate_phrase`: navigation trails, bylines, share/subscribe/cookie
//! notices, "read more" links, section headers of related-article lists and syndication
//! footers, in several languages.
//!
//! Phrase lists are how C4 (Raffel et al. 2020: "javascript", cookie and terms-of-use lines),
//! Gopher's and Dolma's line filters, and trafilatura's boilerplate XPath expressions (class
//! names like `byline`, `share`, `related`, `breadcrumbs`) recognise boilerplate. On plain text
//! the markup is gone, so we match the words such blocks are made of, and only on short lines
//! (at most `phrase_max_words` words) so an article sentence that mentions "newsletter" stays.
//! Syndication footers ("The post X appeared first on Y."), cookie and policy notices and
//! copyright lines are matched up to five times that (C4 matches its policy phrases at any
//! length; notices run to a few sentences).

use super::Line;
use crate::LineCleanConfig;

pub const ID: &str = "boilerplate_phrase";
pub const BREADCRUMB: &str = "breadcrumb";

/// The whole line (lowercased, trimmed of trailing `:`, `»`, `›`, `>`, `…` and spaces) is one
/// of these: related-content headers, link labels and widget titles.
const WHOLE_LINE: &[&str] = &[
    // English
    "read more",
    "continue reading",
    "read the full story",
    "more like this",
    "latest articles",
    "latest news",
    "latest posts",
    "recent posts",
    "recent articles",
    "related articles",
    "related posts",
    "related stories",
    "related news",
    "related",
    "you may also like",
    "you might also like",
    "more from this author",
    "more stories",
    "popular posts",
    "most popular",
    "most read",
    "trending",
    "share this",
    "share this article",
    "share",
    "share on facebook",
    "share on twitter",
    "tweet",
    "print",
    "email",
    "comments",
    "leave a comment",
    "leave a reply",
    "post a comment",
    "reply",
    "subscribe",
    "sign up",
    "log in",
    "login",
    "register",
    "sign in",
    "menu",
    "search",
    "skip to content",
    "skip to main content",
    "advertisement",
    "sponsored",
    "sponsored content",
    "back to top",
    "top",
    "tags",
    "categories",
    "archives",
    "previous post",
    "next post",
    "previous",
    "next",
    "published on",
    "posted on",
    "posted in",
    "follow us",
    "contact us",
    "about us",
    "home",
    "newsletter",
    "privacy overview",
    "lascia un commento",
    "laisser un commentaire",
    "kommentar schreiben",
    "deja un comentario",
    // WordPress's "Leave a Reply" and "Reply" in the same translations.
    "schreibe einen kommentar",
    "kommentar verfassen",
    "antworten",
    "deja una respuesta",
    "responder",
    "laisser une réponse",
    "répondre",
    "rispondi",
    "deixe uma resposta",
    "deixe um comentário",
    "reageer",
    "back to gallery",
    "loading",
    "load more",
    "show more",
    "view all",
    "see all",
    "click here",
    // German
    "weiterlesen",
    "mehr lesen",
    "mehr zum thema",
    "ähnliche artikel",
    "das könnte sie auch interessieren",
    "teilen",
    "drucken",
    "anmelden",
    "abonnieren",
    "kommentare",
    "startseite",
    "anzeige",
    // French
    "lire la suite",
    "lire aussi",
    "à lire aussi",
    "articles similaires",
    "partager",
    "imprimer",
    "s'abonner",
    "commentaires",
    "accueil",
    "publicité",
    "connexion",
    // Spanish / Portuguese / Italian
    "leer más",
    "seguir leyendo",
    "artículos relacionados",
    "noticias relacionadas",
    "compartir",
    "suscribirse",
    "comentarios",
    "inicio",
    "publicidad",
    "ler mais",
    "leia mais",
    "leia também",
    "compartilhar",
    "artigos relacionados",
    "leggi tutto",
    "leggi anche",
    "articoli correlati",
    "condividi",
    "commenti",
    "pubblicità",
    // Dutch / Polish / Turkish / Russian
    "lees meer",
    "lees verder",
    "delen",
    "czytaj więcej",
    "czytaj dalej",
    "udostępnij",
    "devamını oku",
    "paylaş",
    "ilgili haberler",
    "читать далее",
    "подробнее",
    "поделиться",
    "комментарии",
    "похожие статьи",
    "реклама",
    "главная",
];

/// The line starts with one of these (bylines, dates, share and subscription prompts, tag and
/// category labels).
const PREFIXES: &[&str] = &[
    "published on",
    "posted on",
    "posted by",
    "written by",
    "by ",
    "updated:",
    "updated on",
    "last updated",
    "last modified",
    "share on",
    "share this",
    "follow us",
    "follow me",
    "sign up for",
    "subscribe to",
    "subscribe for",
    "join our newsletter",
    "tags:",
    "tagged:",
    "tagged with",
    "filed under",
    "categories:",
    "category:",
    "related:",
    "see also",
    "click here",
    "read more",
    "continue reading",
    "previous article",
    "next article",
    "previous post",
    "next post",
    "copyright",
    "©",
    "(c) ",
    "all rights reserved",
    "veröffentlicht am",
    "von ",
    "schlagwörter",
    "publié le",
    "par ",
    "publicado el",
    "publicado por",
    "por ",
    "pubblicato il",
    "di ",
    "автор:",
    "опубликовано",
];

/// The line contains one of these anywhere (policy notices and syndication footers).
const CONTAINS: &[&str] = &[
    // WordPress and blog comment forms and post footers.
    "save my name, email",
    "your email address will not be published",
    "required fields are marked",
    "notify me of follow-up comments",
    "notify me of new posts",
    "| permalink",
    "trackback",
    "comments (",
    // The same forms in WordPress's German, Spanish, French, Italian, Portuguese and Dutch
    // translations, and its spam filter's notice ("This site uses Akismet to reduce spam").
    "akismet",
    "e-mail-adresse wird nicht veröffentlicht",
    "erforderliche felder sind mit",
    "no será publicada",
    "campos obligatorios están marcados",
    "ne sera pas publiée",
    "champs obligatoires sont indiqués",
    "non sarà pubblicato",
    "não será publicado",
    "wordt niet gepubliceerd",
    // Affiliate and external-link disclaimers.
    "affiliate links",
    "affiliate partnerships",
    "not responsible for the content of external",
    "not responsible for content on external",
    "appeared first on",
    "was originally published",
    "originally appeared on",
    "all rights reserved",
    "this site uses cookies",
    "cookie settings on this website",
    "allow cookies",
    "activation link",
    "activate your subscription",
    "this website uses cookies",
    "we use cookies",
    "uses cookies",
    "use of cookies",
    "accept cookies",
    "cookie policy",
    "cookie settings",
    "privacy policy",
    "terms of use",
    "terms of service",
    "terms and conditions",
    "enable javascript",
    "javascript is disabled",
    "your browser does not support",
    "sign up for our newsletter",
    "subscribe to our newsletter",
    "alle rechte vorbehalten",
    "tous droits réservés",
    "todos los derechos reservados",
    "tutti i diritti riservati",
    "все права защищены",
];

/// Fragments one of which every long-line match of [`CONTAINS`] holds.
const LONG_ANCHORS: &[&str] = &[
    "ookie",
    "OOKIE",
    "rivacy",
    "erms ",
    "ERMS ",
    "eserved",
    "ESERVED",
    "avascript",
    "rowser",
    "ppeared first",
    "riginally",
    "ffiliate",
    "ctivat",
    "roits",
    "erechos",
    "iritti",
    "echte",
    "рава",
    "ermalink",
    "rackback",
    "omments (",
    "ewsletter",
    "otify me",
    "ave my name",
    "equired fields",
    "ot be published",
    "kismet",
    "eröffentlicht",
    "rforderliche felder",
    "erá publicad",
    "bligatorios",
    "era pas publi",
    "bligatoires",
    "arà pubblicato",
    "epubliceerd",
    "esponsible for",
];

const NAV_WORDS: &[&str] = &[
    "home",
    "start",
    "startseite",
    "accueil",
    "inicio",
    "início",
    "home page",
    "homepage",
    "главная",
    "anasayfa",
    "ana sayfa",
    "strona główna",
];

/// Whether the line is a navigation trail: `Home » Section » Title`, or a nav word glued to
/// the next title-cased word (`HomeSportTitle`, what text extraction makes of adjacent links).
pub fn is_breadcrumb(line: &Line<'_>) -> bool {
    let t = line.text;
    if !t.contains(['»', '›', '>', '/']) {
        return is_glued_nav(t);
    }
    let seps = t.matches('»').count()
        + t.matches('›').count()
        + t.matches(" > ").count()
        + t.matches(" / ").count();
    let first = t.split(['»', '›', '>', '/']).next().unwrap_or("").trim();
    let first_lower = first.to_lowercase();
    if seps >= 2
        && (first.split_whitespace().count() <= 3 || NAV_WORDS.contains(&first_lower.as_str()))
    {
        return true;
    }
    if seps >= 1 && NAV_WORDS.contains(&first_lower.as_str()) {
        return true;
    }
    is_glued_nav(t)
}

/// A nav word followed directly by a title-cased word, twice (`HomeSportTitle`).
fn is_glued_nav(t: &str) -> bool {
    for w in ["Home", "Start", "Accueil", "Inicio", "Startseite"] {
        if let Some(rest) = t.strip_prefix(w) {
            let mut cs = rest.chars();
            if cs.next().is_some_and(char::is_uppercase) {
                let word_end = rest.find(' ').unwrap_or(rest.len());
                let glued = &rest[..word_end];
                return glued.chars().skip(1).any(char::is_uppercase);
            }
        }
    }
    false
}

/// The phrase lists compiled once: one automaton per substring list (one pass over the line
/// instead of one search per phrase) and a hash set for whole lines.
struct Matchers {
    contains: aho_corasick::AhoCorasick,
    long_anchors: aho_corasick::AhoCorasick,
    whole_line: foldhash::HashSet<&'static str>,
}

fn matchers() -> &'static Matchers {
    static M: std::sync::OnceLock<Matchers> = std::sync::OnceLock::new();
    M.get_or_init(|| Matchers {
        contains: aho_corasick::AhoCorasick::new(CONTAINS).expect("phrase lists are small"),
        long_anchors: aho_corasick::AhoCorasick::new(LONG_ANCHORS).expect("phrase lists are small"),
        whole_line: WHOLE_LINE.iter().copied().collect(),
    })
}

/// Whether the line is a boilerplate phrase (see the module docs).
pub fn is_boilerplate(line: &Line<'_>, cfg: &LineCleanConfig) -> bool {
    if line.words > 5 * cfg.phrase_max_words {
        return false;
    }
    // Past twice the short-line limit only notices and footers match; they all hold one of
    // these fragments (first letter dropped so capitalisation does not matter), which spares
    // the lowercasing and the full list on most article lines.
    if line.words > 2 * cfg.phrase_max_words && !matchers().long_anchors.is_match(line.text) {
        return false;
    }
    let l = line.lower();
    if matchers().contains.is_match(l) {
        return true;
    }
    if line.words > cfg.phrase_max_words {
        return false;
    }
    let trimmed = l.trim_end_matches([':', '»', '›', '>', '…', '.', ' ', '|', '-', '→']);
    if matchers().whole_line.contains(trimmed) {
        return true;
    }
    // Syndication footer: "The post <title> appeared first on <site>." is matched above;
    // bylines must stay short and carry no sentence end to avoid "By then, ..." sentences.
    PREFIXES.iter().any(|p| {
        l.starts_with(p)
            && (!p.ends_with(' ') || (line.words <= 8 && !super::ends_sentence(line.text)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bp(s: &str) -> bool {
        is_boilerplate(&Line::new(s), &LineCleanConfig::default())
    }

    #[test]
    fn boilerplate_lines_in_several_languages() {
        assert!(bp("Read more »"));
        assert!(bp("Published on"));
        assert!(bp("Posted by admin on March 3, 2019"));
        assert!(bp("By Jane Doe"));
        assert!(bp("Weiterlesen"));
        assert!(bp("Lire la suite…"));
        assert!(bp("Artículos relacionados"));
        assert!(bp(
            "The post Ten Tips for Gardeners appeared first on Garden Weekly."
        ));
        assert!(bp("Copyright 2020 Example Media. All rights reserved."));
        assert!(bp("This website uses cookies to improve your experience."));
        assert!(bp("Schreibe einen Kommentar"));
        assert!(bp(
            "Deine E-Mail-Adresse wird nicht veröffentlicht. Erforderliche Felder sind mit * markiert."
        ));
        assert!(bp("Tu dirección de correo electrónico no será publicada."));
        assert!(bp(
            "Diese Website verwendet Akismet, um Spam zu reduzieren."
        ));
    }

    #[test]
    fn sentences_that_mention_such_words_stay() {
        assert!(!bp(
            "By then, the river had flooded most of the lower town."
        ));
        assert!(!bp(
            "She said the newsletter had doubled its readers in a year, and more."
        ));
        assert!(!bp("Home prices rose again in the third quarter."));
    }

    #[test]
    fn every_long_line_phrase_has_an_anchor() {
        for p in CONTAINS {
            assert!(
                LONG_ANCHORS.iter().any(|a| p.contains(&a.to_lowercase())),
                "{p:?} has no anchor in LONG_ANCHORS"
            );
        }
    }

    #[test]
    fn long_policy_notices_are_boilerplate() {
        assert!(bp("The Cookie settings on this website are set to allow cookies to give you the best browsing experience possible. If you continue to use this website without changing your cookie settings or you click Accept below then you are consenting to this."));
    }

    #[test]
    fn breadcrumbs() {
        assert!(is_breadcrumb(&Line::new("Home » World » Europe")));
        assert!(is_breadcrumb(&Line::new("Home > Products")));
        assert!(is_breadcrumb(&Line::new(
            "HomeSportCity council approves budget"
        )));
        assert!(!is_breadcrumb(&Line::new("Homeowners were told to leave.")));
        assert!(!is_breadcrumb(&Line::new("Home prices rose 3% in May.")));
    }
}
