//! Element names the extractor knows, interned as an enum so that rules match on integers.

macro_rules! tags {
    ($($v:ident = $s:literal),* $(,)?) => {
        /// A known HTML element, [`Tag::Other`] for the rest (custom elements, typos), and the
        /// two node kinds that are not elements.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Tag {
            /// The document node above `<html>`.
            Root,
            /// A text node.
            Text,
            /// An element whose name is not in the list.
            Other,
            $(#[allow(missing_docs)] $v,)*
        }

        impl Tag {
            /// The tag of a lowercase element name.
            pub fn from_name(name: &[u8]) -> Tag {
                match name {
                    $($s => Tag::$v,)*
                    _ => Tag::Other,
                }
            }
        }
    };
}

tags! {
    A = b"a", Abbr = b"abbr", Address = b"address", Applet = b"applet", Area = b"area",
    Article = b"article", Aside = b"aside", Audio = b"audio", B = b"b", Base = b"base",
    Big = b"big", Blockquote = b"blockquote", Body = b"body", Br = b"br", Button = b"button",
    Canvas = b"canvas", Caption = b"caption", Center = b"center", Cite = b"cite", Code = b"code",
    Col = b"col", Colgroup = b"colgroup", Dd = b"dd", Del = b"del", Details = b"details",
    Dialog = b"dialog", Dir = b"dir", Div = b"div", Dl = b"dl", Dt = b"dt", Em = b"em",
    Embed = b"embed", Fieldset = b"fieldset", Figcaption = b"figcaption", Figure = b"figure",
    Font = b"font", Footer = b"footer", Form = b"form", Frame = b"frame", Frameset = b"frameset",
    H1 = b"h1", H2 = b"h2", H3 = b"h3", H4 = b"h4", H5 = b"h5", H6 = b"h6", Head = b"head",
    Header = b"header", Hgroup = b"hgroup", Hr = b"hr", Html = b"html", I = b"i",
    Iframe = b"iframe", Img = b"img", Input = b"input", Ins = b"ins", Keygen = b"keygen",
    Label = b"label", Legend = b"legend", Li = b"li", Link = b"link", Main = b"main", Map = b"map",
    Marquee = b"marquee", Math = b"math", Menu = b"menu", Meta = b"meta", Nav = b"nav",
    Noembed = b"noembed", Noframes = b"noframes", Noscript = b"noscript", Object = b"object",
    Ol = b"ol", Optgroup = b"optgroup", Option = b"option", P = b"p", Param = b"param",
    Picture = b"picture", Plaintext = b"plaintext", Pre = b"pre", Q = b"q", S = b"s",
    Script = b"script", Section = b"section", Select = b"select", Small = b"small",
    Source = b"source", Span = b"span", Strike = b"strike", Strong = b"strong", Style = b"style",
    Sub = b"sub", Summary = b"summary", Sup = b"sup", Svg = b"svg", Table = b"table",
    Tbody = b"tbody", Td = b"td", Template = b"template", Textarea = b"textarea",
    Tfoot = b"tfoot", Th = b"th", Thead = b"thead", Time = b"time", Title = b"title", Tr = b"tr",
    Track = b"track", Tt = b"tt", U = b"u", Ul = b"ul", Video = b"video", Wbr = b"wbr",
    Xmp = b"xmp",
}

impl Tag {
    /// Elements with no content and no end tag (WHATWG HTML, "void elements").
    pub fn is_void(self) -> bool {
        use Tag::*;
        matches!(
            self,
            Area | Base
                | Br
                | Col
                | Embed
                | Hr
                | Img
                | Input
                | Keygen
                | Link
                | Meta
                | Param
                | Source
                | Track
                | Wbr
                | Frame
        )
    }

    /// Elements whose content is not markup: skipped to their end tag. `title` and `textarea`
    /// are RCDATA (entities decoded), the rest raw text; `noscript` is raw text because
    /// browsers that run scripts treat it so, and its content is a fallback, not the page.
    pub fn is_raw_text(self) -> bool {
        use Tag::*;
        matches!(
            self,
            Script | Style | Textarea | Title | Xmp | Iframe | Noembed | Noframes | Noscript
        )
    }

    /// Elements that start a new line of text: the CSS `display: block` (and list item, table
    /// row) elements of the HTML user-agent stylesheet.
    pub fn is_block(self) -> bool {
        use Tag::*;
        matches!(
            self,
            Root | Html
                | Body
                | Address
                | Article
                | Aside
                | Blockquote
                | Center
                | Dd
                | Details
                | Dialog
                | Dir
                | Div
                | Dl
                | Dt
                | Fieldset
                | Figcaption
                | Figure
                | Footer
                | Form
                | H1
                | H2
                | H3
                | H4
                | H5
                | H6
                | Header
                | Hgroup
                | Hr
                | Legend
                | Li
                | Main
                | Menu
                | Nav
                | Ol
                | P
                | Pre
                | Section
                | Summary
                | Table
                | Caption
                | Tbody
                | Thead
                | Tfoot
                | Tr
                | Ul
                | Br
                | Marquee
                | Plaintext
                | Option
                | Select
                | Frameset
        )
    }

    /// Headings `h1` to `h6`.
    pub fn is_heading(self) -> bool {
        use Tag::*;
        matches!(self, H1 | H2 | H3 | H4 | H5 | H6)
    }

    /// Start tags that close an open `p` (WHATWG HTML tree construction, "in body").
    pub fn closes_p(self) -> bool {
        use Tag::*;
        matches!(
            self,
            Address
                | Article
                | Aside
                | Blockquote
                | Center
                | Details
                | Dialog
                | Dir
                | Div
                | Dl
                | Fieldset
                | Figcaption
                | Figure
                | Footer
                | Header
                | Hgroup
                | Main
                | Menu
                | Nav
                | Ol
                | P
                | Section
                | Summary
                | Ul
                | H1
                | H2
                | H3
                | H4
                | H5
                | H6
                | Pre
                | Form
                | Table
                | Hr
                | Li
                | Dd
                | Dt
                | Plaintext
                | Xmp
        )
    }

    /// Elements an end tag's search for its element does not cross (the "has an element in
    /// scope" boundaries), so `</div>` inside a table cell cannot close a `div` around the
    /// table.
    pub fn is_scope_boundary(self) -> bool {
        use Tag::*;
        matches!(
            self,
            Root | Html | Table | Td | Th | Caption | Marquee | Object | Applet | Template
        )
    }

    /// Phrasing elements: their end tag only closes them when no block element stands
    /// between (the "special" category stops the search), so a stray `</span>` never closes a
    /// `div`.
    pub fn is_phrasing(self) -> bool {
        use Tag::*;
        matches!(
            self,
            A | Abbr
                | B
                | Big
                | Cite
                | Code
                | Del
                | Em
                | Font
                | I
                | Ins
                | Label
                | Q
                | S
                | Small
                | Span
                | Strike
                | Strong
                | Sub
                | Sup
                | Time
                | Tt
                | U
                | Other
        )
    }
}
