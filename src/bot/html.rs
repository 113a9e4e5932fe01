//! Telegram's HTML parse mode, checked before Telegram sees it: the tags, attributes and
//! entities of <https://core.telegram.org/bots/api#html-style>, escaping, and tags closed in
//! order. Every text the bot sends goes out in this mode; one that fails here is refused by
//! Telegram (`can't parse entities`) and the user sees nothing.
//!
//! Where Telegram's parser is more lenient than its documentation (a bare `>` or `&`, an
//! entity without `;`, attributes it ignores, `</>` closing whatever is open), this check
//! follows the documentation: a text that passes here is one Telegram accepts. Entities that
//! Telegram accepts but drops (such as bold inside `<code>`) are not errors. Tag names are
//! case-insensitive, as in Telegram.
//!
//! No dependency beyond `std`: the fake Bot API uses it too.

use std::fmt;

/// Why a text is not valid Telegram HTML. `at` is the byte offset of the offending `<` or
/// `&` (of the start tag, for a tag never closed), as Telegram's own errors give it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HtmlError {
    /// A `<` that starts no tag: write `&lt;`.
    BareLt { at: usize },
    /// A `>` outside a tag: write `&gt;`.
    BareGt { at: usize },
    /// A `&` that starts no entity: write `&amp;`.
    BareAmp { at: usize },
    /// A named entity other than `&lt;`, `&gt;`, `&amp;`, `&quot;`.
    UnknownEntity { at: usize, entity: String },
    /// A numeric entity without digits, or not a Unicode scalar value.
    BadNumericEntity { at: usize, entity: String },
    /// A tag Telegram does not support (`<user id>`, `<br>`, `<p>`, …).
    UnsupportedTag { at: usize, tag: String },
    /// A start tag whose `>` never comes.
    UnclosedStartTag { at: usize },
    /// An end tag whose `>` never comes, or with more than a name in it.
    UnclosedEndTag { at: usize },
    /// An attribute the tag does not take, given twice, or with a value Telegram refuses.
    BadAttribute {
        at: usize,
        tag: String,
        attribute: String,
    },
    /// An attribute the tag needs (`href` of `<a>`, `class="tg-spoiler"` of `<span>`, …).
    MissingAttribute {
        at: usize,
        tag: String,
        attribute: &'static str,
    },
    /// An end tag with nothing open.
    UnexpectedEndTag { at: usize, tag: String },
    /// An end tag that does not close the innermost open tag.
    MismatchedEndTag {
        at: usize,
        expected: String,
        found: String,
    },
    /// A start tag still open at the end of the text.
    UnclosedTag { at: usize, tag: String },
}

impl HtmlError {
    /// The byte offset the error is about.
    pub fn at(&self) -> usize {
        match self {
            HtmlError::BareLt { at }
            | HtmlError::BareGt { at }
            | HtmlError::BareAmp { at }
            | HtmlError::UnknownEntity { at, .. }
            | HtmlError::BadNumericEntity { at, .. }
            | HtmlError::UnsupportedTag { at, .. }
            | HtmlError::UnclosedStartTag { at }
            | HtmlError::UnclosedEndTag { at }
            | HtmlError::BadAttribute { at, .. }
            | HtmlError::MissingAttribute { at, .. }
            | HtmlError::UnexpectedEndTag { at, .. }
            | HtmlError::MismatchedEndTag { at, .. }
            | HtmlError::UnclosedTag { at, .. } => *at,
        }
    }
}

impl fmt::Display for HtmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HtmlError::BareLt { at } => write!(f, "unescaped \"<\" at byte offset {at}"),
            HtmlError::BareGt { at } => write!(f, "unescaped \">\" at byte offset {at}"),
            HtmlError::BareAmp { at } => write!(f, "unescaped \"&\" at byte offset {at}"),
            HtmlError::UnknownEntity { at, entity } => {
                write!(
                    f,
                    "unsupported HTML entity \"{entity}\" at byte offset {at}"
                )
            }
            HtmlError::BadNumericEntity { at, entity } => {
                write!(
                    f,
                    "invalid numeric HTML entity \"{entity}\" at byte offset {at}"
                )
            }
            HtmlError::UnsupportedTag { at, tag } => {
                write!(f, "Unsupported start tag \"{tag}\" at byte offset {at}")
            }
            HtmlError::UnclosedStartTag { at } => {
                write!(f, "Unclosed start tag at byte offset {at}")
            }
            HtmlError::UnclosedEndTag { at } => write!(f, "Unclosed end tag at byte offset {at}"),
            HtmlError::BadAttribute { at, tag, attribute } => write!(
                f,
                "attribute \"{attribute}\" not allowed (or its value refused) in the tag \
                 \"{tag}\" at byte offset {at}"
            ),
            HtmlError::MissingAttribute { at, tag, attribute } => write!(
                f,
                "tag \"{tag}\" at byte offset {at} must have the attribute \"{attribute}\""
            ),
            HtmlError::UnexpectedEndTag { at, tag } => {
                write!(f, "Unexpected end tag \"</{tag}>\" at byte offset {at}")
            }
            HtmlError::MismatchedEndTag {
                at,
                expected,
                found,
            } => write!(
                f,
                "Unmatched end tag at byte offset {at}, expected \"</{expected}>\", found \
                 \"</{found}>\""
            ),
            HtmlError::UnclosedTag { at, tag } => write!(
                f,
                "Can't find end tag corresponding to start tag \"{tag}\" at byte offset {at}"
            ),
        }
    }
}

impl std::error::Error for HtmlError {}

/// The tags Telegram supports.
const TAGS: [&str; 17] = [
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "tg-emoji",
    "tg-time",
    "code",
    "pre",
    "blockquote",
];

/// Checks `html` against Telegram's HTML parse mode. `Ok` means Telegram accepts it.
pub fn check(html: &str) -> Result<(), HtmlError> {
    let bytes = html.as_bytes();
    // Open tags: (lower-case name, offset of its `<`).
    let mut open: Vec<(String, usize)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' if bytes.get(i + 1) == Some(&b'/') => {
                i = end_tag(html, i, &mut open)?;
            }
            b'<' => {
                let (name, next) = start_tag(html, i, open.last().map(|(n, _)| n.as_str()))?;
                open.push((name, i));
                i = next;
            }
            b'>' => return Err(HtmlError::BareGt { at: i }),
            b'&' => i = entity(html, i)?.1,
            _ => i += 1,
        }
    }
    match open.pop() {
        Some((tag, at)) => Err(HtmlError::UnclosedTag { at, tag }),
        None => Ok(()),
    }
}

/// The text Telegram shows for `html`: tags dropped, entities decoded. For places that take
/// plain text only (a button answer's alert or toast); a text that fails [`check`] is
/// returned unchanged, as Telegram would show it there.
pub fn to_plain(html: &str) -> String {
    if check(html).is_err() {
        return html.to_string();
    }
    let bytes = html.as_bytes();
    let mut out = String::with_capacity(html.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' => {
                // A valid tag's `>` may only hide inside a quoted attribute value.
                let mut quote = None;
                while i < bytes.len() {
                    match (quote, bytes[i]) {
                        (None, b'>') => break,
                        (None, q @ (b'"' | b'\'')) => quote = Some(q),
                        (Some(q), b) if b == q => quote = None,
                        _ => {}
                    }
                    i += 1;
                }
                i += 1;
            }
            b'&' => {
                let (c, next) = entity(html, i).expect("checked");
                out.push(c);
                i = next;
            }
            _ => {
                let next = html[i..].find(['<', '&']).map_or(html.len(), |n| i + n);
                out.push_str(&html[i..next]);
                i = next;
            }
        }
    }
    out
}

/// The entity at `at` (a `&`), decoded, and the offset after its `;`.
fn entity(html: &str, at: usize) -> Result<(char, usize), HtmlError> {
    let bytes = html.as_bytes();
    let rest = &bytes[at + 1..];
    let Some(semi) = rest
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || *b == b'#'))
    else {
        return Err(HtmlError::BareAmp { at });
    };
    let body = &html[at + 1..at + 1 + semi];
    if rest[semi] != b';' || body.is_empty() {
        return Err(HtmlError::BareAmp { at });
    }
    let end = at + 1 + semi + 1;
    let entity = || html[at..end].to_string();
    if let Some(num) = body.strip_prefix('#') {
        // Telegram reads `&#x` as hexadecimal, and `&#X` not at all.
        let value = match num.strip_prefix('x') {
            Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                u32::from_str_radix(hex, 16).ok()
            }
            None if !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()) => num.parse().ok(),
            _ => None,
        };
        // Telegram refuses NUL and U+10FFFF besides what is no scalar value at all.
        return match value
            .filter(|v| *v != 0 && *v < 0x10FFFF)
            .and_then(char::from_u32)
        {
            Some(c) => Ok((c, end)),
            None => Err(HtmlError::BadNumericEntity {
                at,
                entity: entity(),
            }),
        };
    }
    let c = match body {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        _ => {
            return Err(HtmlError::UnknownEntity {
                at,
                entity: entity(),
            })
        }
    };
    Ok((c, end))
}

/// An attribute as written: its name (lower case) and value (entities decoded), if any.
struct Attribute {
    name: String,
    value: Option<String>,
}

/// The start tag at `at`; its lower-case name and the offset after its `>`. `parent` is the
/// innermost open tag.
fn start_tag(html: &str, at: usize, parent: Option<&str>) -> Result<(String, usize), HtmlError> {
    let bytes = html.as_bytes();
    let mut i = at + 1;
    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
        i += 1;
    }
    let name = html[at + 1..i].to_ascii_lowercase();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(HtmlError::BareLt { at });
    }
    if i == bytes.len() {
        return Err(HtmlError::UnclosedStartTag { at });
    }
    if !TAGS.contains(&name.as_str()) {
        return Err(HtmlError::UnsupportedTag { at, tag: name });
    }
    let mut attributes: Vec<Attribute> = Vec::new();
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        match bytes.get(i) {
            None => return Err(HtmlError::UnclosedStartTag { at }),
            Some(b'>') => break,
            Some(_) => {}
        }
        let start = i;
        while i < bytes.len()
            && !bytes[i].is_ascii_whitespace()
            && bytes[i] != b'='
            && bytes[i] != b'>'
        {
            i += 1;
        }
        let attribute = html[start..i].to_ascii_lowercase();
        let bad = |attribute: &str| HtmlError::BadAttribute {
            at,
            tag: name.clone(),
            attribute: attribute.to_string(),
        };
        if attribute.is_empty() {
            return Err(bad("="));
        }
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let value = if bytes.get(i) == Some(&b'=') {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            let (value, next) = attribute_value(html, i, at).map_err(|e| match e {
                None => bad(&attribute),
                Some(e) => e,
            })?;
            i = next;
            Some(value)
        } else {
            None
        };
        if attributes.iter().any(|a| a.name == attribute) {
            return Err(bad(&attribute));
        }
        attributes.push(Attribute {
            name: attribute,
            value,
        });
    }
    check_attributes(&name, &attributes, parent, at)?;
    Ok((name, i + 1))
}

/// An attribute's value at `i`: quoted (entities decoded) or a bare name token. `Err(None)`
/// for a missing or malformed value, `Err(Some(_))` for an error of its own (an entity).
fn attribute_value(
    html: &str,
    mut i: usize,
    tag_at: usize,
) -> Result<(String, usize), Option<HtmlError>> {
    let bytes = html.as_bytes();
    let mut value = String::new();
    match bytes.get(i) {
        None => Err(Some(HtmlError::UnclosedStartTag { at: tag_at })),
        Some(&quote) if quote == b'"' || quote == b'\'' => {
            i += 1;
            let mut run = i;
            loop {
                match bytes.get(i) {
                    None => return Err(Some(HtmlError::UnclosedStartTag { at: tag_at })),
                    Some(&b) if b == quote => {
                        value.push_str(&html[run..i]);
                        return Ok((value, i + 1));
                    }
                    Some(b'&') => {
                        value.push_str(&html[run..i]);
                        let (c, next) = entity(html, i).map_err(Some)?;
                        value.push(c);
                        i = next;
                        run = i;
                    }
                    Some(_) => i += 1,
                }
            }
        }
        Some(_) => {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'_' | b'-' | b'.'))
            {
                i += 1;
            }
            if i == start {
                return Err(None);
            }
            Ok((html[start..i].to_string(), i))
        }
    }
}

/// Which attributes each tag takes, and what their values must be.
fn check_attributes(
    tag: &str,
    attributes: &[Attribute],
    parent: Option<&str>,
    at: usize,
) -> Result<(), HtmlError> {
    let bad = |a: &Attribute| HtmlError::BadAttribute {
        at,
        tag: tag.to_string(),
        attribute: a.name.clone(),
    };
    let missing = |attribute: &'static str| HtmlError::MissingAttribute {
        at,
        tag: tag.to_string(),
        attribute,
    };
    // (name, required, is the value acceptable)
    type Rule = (&'static str, bool, fn(Option<&str>) -> bool);
    let rules: &[Rule] = match tag {
        "a" => &[("href", true, |v| v.is_some_and(|v| !v.is_empty()))],
        "span" => &[("class", true, |v| v == Some("tg-spoiler"))],
        "tg-emoji" => &[("emoji-id", true, |v| {
            v.and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|id| id != 0)
        })],
        "tg-time" => &[
            ("unix", true, |v| {
                v.is_some_and(|v| v.parse::<i64>().is_ok_and(|t| t >= 0))
            }),
            ("format", false, |v| v.is_some_and(time_format_ok)),
        ],
        "blockquote" => &[("expandable", false, |v| v.is_none())],
        // A language only for the code block of a `<pre>`.
        "code" if parent == Some("pre") => &[("class", false, |v| {
            v.and_then(|v| v.strip_prefix("language-"))
                .is_some_and(|lang| !lang.is_empty())
        })],
        _ => &[],
    };
    for a in attributes {
        match rules.iter().find(|(name, _, _)| *name == a.name) {
            Some((_, _, ok)) if ok(a.value.as_deref()) => {}
            _ => return Err(bad(a)),
        }
    }
    match rules
        .iter()
        .find(|(name, required, _)| *required && !attributes.iter().any(|a| a.name == *name))
    {
        Some((name, _, _)) => Err(missing(name)),
        None => Ok(()),
    }
}

/// Telegram's date-time format: `r`, or `w?[dD]?[tT]?`.
fn time_format_ok(format: &str) -> bool {
    if format == "r" {
        return true;
    }
    let mut rest = format.strip_prefix('w').unwrap_or(format);
    rest = rest.strip_prefix(['d', 'D']).unwrap_or(rest);
    rest = rest.strip_prefix(['t', 'T']).unwrap_or(rest);
    rest.is_empty()
}

/// The end tag at `at` (`</`); closes the innermost open tag. The offset after its `>`.
fn end_tag(html: &str, at: usize, open: &mut Vec<(String, usize)>) -> Result<usize, HtmlError> {
    let bytes = html.as_bytes();
    let mut i = at + 2;
    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
        i += 1;
    }
    let found = html[at + 2..i].to_ascii_lowercase();
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    if bytes.get(i) != Some(&b'>') {
        return Err(HtmlError::UnclosedEndTag { at });
    }
    match open.last() {
        None => Err(HtmlError::UnexpectedEndTag { at, tag: found }),
        Some((expected, _)) if *expected != found => Err(HtmlError::MismatchedEndTag {
            at,
            expected: expected.clone(),
            found,
        }),
        Some(_) => {
            open.pop();
            Ok(i + 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_form_is_accepted() {
        for ok in [
            "",
            "plain text, with \"quotes\" and 'apostrophes' and émoji 😀",
            "<b>bold</b>, <strong>bold</strong>",
            "<i>italic</i>, <em>italic</em>",
            "<u>underline</u>, <ins>underline</ins>",
            "<s>strike</s>, <strike>strike</strike>, <del>strike</del>",
            "<span class=\"tg-spoiler\">spoiler</span>, <tg-spoiler>spoiler</tg-spoiler>",
            "<b>bold <i>italic bold <s>italic bold strikethrough <span class=\"tg-spoiler\">\
             italic bold strikethrough spoiler</span></s> <u>underline italic bold</u></i> bold</b>",
            "<a href=\"http://www.example.com/\">inline URL</a>",
            "<a href=\"tg://user?id=123456789\">inline mention of a user</a>",
            "<tg-emoji emoji-id=\"5368324170671202286\">👍</tg-emoji>",
            "<tg-time unix=\"1647531900\" format=\"wDT\">22:45 tomorrow</tg-time>",
            "<tg-time unix=\"1647531900\" format=\"r\">22:45</tg-time>",
            "<tg-time unix=\"1647531900\">22:45 tomorrow</tg-time>",
            "<code>inline fixed-width code</code>",
            "<pre>pre-formatted fixed-width code block</pre>",
            "<pre><code class=\"language-python\">print(1)</code></pre>",
            "<blockquote>Block quotation started\nBlock quotation continued</blockquote>",
            "<blockquote expandable>Expandable block quotation</blockquote>",
            "&lt; &gt; &amp; &quot; &#60; &#x3C; &#x1F600; &#128512;",
            "<a href=\"https://x.example/?a=1&amp;b=&quot;2&quot;\">entities in a value</a>",
            "<a href='single.example'>single quotes</a>",
            "<a href=bare.example>a bare value</a>",
            "<B>Upper case</b> <A HREF=\"x\">link</A>",
            "<b >spaces</b > <a  href = \"x\" >link</a>",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn what_telegram_refuses_is_refused_with_its_place() {
        use HtmlError::*;
        let s = String::from;
        for (html, want) in [
            // The admin usage texts as they were.
            (
                "Usage: /setplan <user id> <STARTER|ENTERPRISE> [days].",
                UnsupportedTag {
                    at: 16,
                    tag: s("user"),
                },
            ),
            ("a < b", BareLt { at: 2 }),
            ("a <", BareLt { at: 2 }),
            ("<>", BareLt { at: 0 }),
            ("1 <2", BareLt { at: 2 }),
            ("a > b", BareGt { at: 2 }),
            ("R&D", BareAmp { at: 1 }),
            ("a & b", BareAmp { at: 2 }),
            ("&amp no semicolon", BareAmp { at: 0 }),
            ("&;", BareAmp { at: 0 }),
            (
                "&nbsp;",
                UnknownEntity {
                    at: 0,
                    entity: s("&nbsp;"),
                },
            ),
            (
                "&LT;",
                UnknownEntity {
                    at: 0,
                    entity: s("&LT;"),
                },
            ),
            (
                "&#;",
                BadNumericEntity {
                    at: 0,
                    entity: s("&#;"),
                },
            ),
            (
                "&#0;",
                BadNumericEntity {
                    at: 0,
                    entity: s("&#0;"),
                },
            ),
            (
                "&#xD800;",
                BadNumericEntity {
                    at: 0,
                    entity: s("&#xD800;"),
                },
            ),
            (
                "&#x110000;",
                BadNumericEntity {
                    at: 0,
                    entity: s("&#x110000;"),
                },
            ),
            (
                "&#X1F600;",
                BadNumericEntity {
                    at: 0,
                    entity: s("&#X1F600;"),
                },
            ),
            (
                "&#12a;",
                BadNumericEntity {
                    at: 0,
                    entity: s("&#12a;"),
                },
            ),
            (
                "line<br>break",
                UnsupportedTag {
                    at: 4,
                    tag: s("br"),
                },
            ),
            (
                "<br/>",
                UnsupportedTag {
                    at: 0,
                    tag: s("br/"),
                },
            ),
            ("<p>x</p>", UnsupportedTag { at: 0, tag: s("p") }),
            (
                "<b/>",
                UnsupportedTag {
                    at: 0,
                    tag: s("b/"),
                },
            ),
            ("<b", UnclosedStartTag { at: 0 }),
            ("<a href=\"x>link", UnclosedStartTag { at: 0 }),
            ("<b>x</b", UnclosedEndTag { at: 4 }),
            ("<b>x</b c>", UnclosedEndTag { at: 4 }),
            ("<b>x", UnclosedTag { at: 0, tag: s("b") }),
            ("<b><i>x</i>", UnclosedTag { at: 0, tag: s("b") }),
            ("x</b>", UnexpectedEndTag { at: 1, tag: s("b") }),
            (
                "<b><i>x</b></i>",
                MismatchedEndTag {
                    at: 7,
                    expected: s("i"),
                    found: s("b"),
                },
            ),
            (
                "<b>x</>",
                MismatchedEndTag {
                    at: 4,
                    expected: s("b"),
                    found: s(""),
                },
            ),
            (
                "<a>x</a>",
                MissingAttribute {
                    at: 0,
                    tag: s("a"),
                    attribute: "href",
                },
            ),
            (
                "<a href=\"\">x</a>",
                BadAttribute {
                    at: 0,
                    tag: s("a"),
                    attribute: s("href"),
                },
            ),
            (
                "<a href=\"x\" target=\"_blank\">x</a>",
                BadAttribute {
                    at: 0,
                    tag: s("a"),
                    attribute: s("target"),
                },
            ),
            (
                "<a href=\"x\" href=\"y\">x</a>",
                BadAttribute {
                    at: 0,
                    tag: s("a"),
                    attribute: s("href"),
                },
            ),
            ("<a href=\"a&b\">x</a>", BareAmp { at: 10 }),
            (
                "<a href=>x</a>",
                BadAttribute {
                    at: 0,
                    tag: s("a"),
                    attribute: s("href"),
                },
            ),
            (
                "<span>x</span>",
                MissingAttribute {
                    at: 0,
                    tag: s("span"),
                    attribute: "class",
                },
            ),
            (
                "<span class=\"bold\">x</span>",
                BadAttribute {
                    at: 0,
                    tag: s("span"),
                    attribute: s("class"),
                },
            ),
            (
                "<b class=\"x\">x</b>",
                BadAttribute {
                    at: 0,
                    tag: s("b"),
                    attribute: s("class"),
                },
            ),
            (
                "<tg-emoji>👍</tg-emoji>",
                MissingAttribute {
                    at: 0,
                    tag: s("tg-emoji"),
                    attribute: "emoji-id",
                },
            ),
            (
                "<tg-emoji emoji-id=\"abc\">👍</tg-emoji>",
                BadAttribute {
                    at: 0,
                    tag: s("tg-emoji"),
                    attribute: s("emoji-id"),
                },
            ),
            (
                "<tg-time unix=\"1\" format=\"x\">t</tg-time>",
                BadAttribute {
                    at: 0,
                    tag: s("tg-time"),
                    attribute: s("format"),
                },
            ),
            (
                "<tg-time unix=\"1\" format=\"rt\">t</tg-time>",
                BadAttribute {
                    at: 0,
                    tag: s("tg-time"),
                    attribute: s("format"),
                },
            ),
            (
                "<tg-time>t</tg-time>",
                MissingAttribute {
                    at: 0,
                    tag: s("tg-time"),
                    attribute: "unix",
                },
            ),
            (
                "<code class=\"language-rust\">x</code>",
                BadAttribute {
                    at: 0,
                    tag: s("code"),
                    attribute: s("class"),
                },
            ),
            (
                "<pre><code class=\"rust\">x</code></pre>",
                BadAttribute {
                    at: 5,
                    tag: s("code"),
                    attribute: s("class"),
                },
            ),
            (
                "<pre class=\"language-rust\">x</pre>",
                BadAttribute {
                    at: 0,
                    tag: s("pre"),
                    attribute: s("class"),
                },
            ),
            (
                "<blockquote expandable=\"yes\">x</blockquote>",
                BadAttribute {
                    at: 0,
                    tag: s("blockquote"),
                    attribute: s("expandable"),
                },
            ),
        ] {
            assert_eq!(check(html), Err(want), "{html}");
        }
    }

    #[test]
    fn errors_read_like_telegrams() {
        let e = check("Usage: /user <user id>").unwrap_err();
        assert_eq!(e.at(), 13);
        assert_eq!(
            e.to_string(),
            "Unsupported start tag \"user\" at byte offset 13"
        );
    }

    #[test]
    fn plain_text_drops_tags_and_decodes_entities() {
        for (html, plain) in [
            ("", ""),
            ("no markup", "no markup"),
            (
                "<b>Plan</b>: Bob &amp; Co &lt;3 &#x1F600;",
                "Plan: Bob & Co <3 😀",
            ),
            (
                "<a href=\"https://x.example/?a=1&amp;b=&quot;>&quot;\">here</a> &quot;q&quot;",
                "here \"q\"",
            ),
            ("<a href='>'>x</a>", "x"),
            // Not valid HTML: shown as it is.
            ("a < b & c", "a < b & c"),
        ] {
            assert_eq!(to_plain(html), plain, "{html}");
        }
    }

    #[test]
    fn escaped_text_always_passes() {
        let nasty = "<user id> & <b> \"x\" > </a> &amp; &#0;";
        assert_eq!(check(&crate::i18n::escape(nasty)), Ok(()));
        assert!(check(nasty).is_err());
    }
}
