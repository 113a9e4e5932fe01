//! Locale loading and lookup: Project Fluent files in `locales/<lang>/*.ftl`, compiled into
//! the binary, English as the fallback. Every text a customer sees comes from here.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{langid, LanguageIdentifier, Loader};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // No Unicode isolation marks around arguments: they would show up in Telegram's
        // copy-paste and break text comparisons.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A language the bot speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Ru,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ru];

    /// The code stored and given to Telegram (`set_my_commands`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
        }
    }

    /// `en`, `ru`, or a regional tag of either (`ru-RU`); anything else is `None`.
    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code.split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "ru" => Some(Lang::Ru),
            _ => None,
        }
    }

    /// The language for a Telegram user: their stored choice, else their app's language when
    /// we speak it, else English.
    pub fn pick(stored: Option<&str>, telegram: Option<&str>) -> Lang {
        stored
            .and_then(Lang::parse)
            .or_else(|| telegram.and_then(Lang::parse))
            .unwrap_or(Lang::En)
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Lang::En => langid!("en"),
            Lang::Ru => langid!("ru"),
        }
    }
}

/// Arguments for a message. String arguments are HTML-escaped (bot texts are sent as HTML);
/// [`Args::html`] passes markup that is already safe.
#[derive(Default)]
pub struct Args(HashMap<Cow<'static, str>, FluentValue<'static>>);

impl Args {
    pub fn new() -> Args {
        Args::default()
    }

    /// Plain text, escaped.
    pub fn text(mut self, name: &'static str, value: impl AsRef<str>) -> Args {
        self.0
            .insert(name.into(), FluentValue::from(escape(value.as_ref())));
        self
    }

    /// Markup that is already valid Telegram HTML.
    pub fn html(mut self, name: &'static str, value: impl Into<String>) -> Args {
        self.0.insert(name.into(), FluentValue::from(value.into()));
        self
    }

    /// A number (plural rules see it).
    pub fn num(mut self, name: &'static str, value: impl Into<f64>) -> Args {
        self.0.insert(name.into(), FluentValue::from(value.into()));
        self
    }
}

/// The message `key` in `lang`. A key missing from the locale files is a bug: it panics in
/// debug builds and shows the key in release builds.
pub fn t(lang: Lang, key: &str) -> String {
    lookup(lang, key, None)
}

/// The message `key` in `lang`, or `None` when the locale files have no such key (for keys
/// built from data, such as `reason-<code>`).
pub fn try_t(lang: Lang, key: &str) -> Option<String> {
    LOCALES.try_lookup(&lang.id(), key)
}

/// The message `key` in `lang` with arguments.
pub fn t_args(lang: Lang, key: &str, args: &Args) -> String {
    lookup(lang, key, Some(&args.0))
}

fn lookup(
    lang: Lang,
    key: &str,
    args: Option<&HashMap<Cow<'static, str>, FluentValue<'static>>>,
) -> String {
    match LOCALES.try_lookup_complete(&lang.id(), key, args) {
        Some(text) => text,
        None => {
            debug_assert!(false, "missing locale key {key}");
            key.to_string()
        }
    }
}

/// A decimal number already written with a point (`30.0`, `2.5`, `+0:00:01.5`) as `lang`
/// writes it: English keeps the point (the seed's texts are pinned to it), Russian uses the
/// decimal comma (`30,0`). Every decimal in a bot text goes through here.
pub fn decimal(lang: Lang, formatted: &str) -> String {
    match lang {
        Lang::En => formatted.to_string(),
        Lang::Ru => formatted.replace('.', ","),
    }
}

/// Escapes `<`, `>`, `&` (and quotes) for Telegram's HTML parse mode.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(lang: &str) -> BTreeSet<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(lang);
        let mut keys = BTreeSet::new();
        for entry in std::fs::read_dir(dir).expect("locale folder") {
            let text = std::fs::read_to_string(entry.expect("entry").path()).expect("ftl");
            for line in text.lines() {
                let starts_key = line.chars().next().is_some_and(|c| c.is_ascii_lowercase());
                if let (true, Some((key, _))) = (starts_key, line.split_once(" =")) {
                    keys.insert(key.trim().to_string());
                }
            }
        }
        keys
    }

    #[test]
    fn english_and_russian_have_the_same_keys() {
        let (en, ru) = (keys("en"), keys("ru"));
        assert!(en.len() > 50, "{} keys", en.len());
        let only_en: Vec<_> = en.difference(&ru).collect();
        let only_ru: Vec<_> = ru.difference(&en).collect();
        assert!(
            only_en.is_empty() && only_ru.is_empty(),
            "en only {only_en:?}, ru only {only_ru:?}"
        );
    }

    #[test]
    fn every_key_resolves_in_both_languages_without_isolation_marks() {
        // Every variable any message uses, so that no lookup fails for a missing argument.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales/en");
        let mut args = HashMap::new();
        for entry in std::fs::read_dir(dir).expect("locale folder") {
            let text = std::fs::read_to_string(entry.expect("entry").path()).expect("ftl");
            for part in text.split("{ $").skip(1) {
                let name: String = part
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                args.insert(Cow::Owned(name), FluentValue::from("1"));
            }
        }
        for key in keys("en") {
            for lang in Lang::ALL {
                let text = LOCALES
                    .try_lookup_with_args(&lang.id(), &key, &args)
                    .unwrap_or_else(|| panic!("{key} in {lang:?}"));
                assert!(!text.contains('\u{2068}'), "{key}");
            }
        }
    }

    /// Every variable any message of `lang` uses.
    fn variables(lang: &str) -> BTreeSet<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(lang);
        let mut names = BTreeSet::new();
        for entry in std::fs::read_dir(dir).expect("locale folder") {
            let text = std::fs::read_to_string(entry.expect("entry").path()).expect("ftl");
            for part in text.split('$').skip(1) {
                let name: String = part
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                    .collect();
                if !name.is_empty() {
                    names.insert(name);
                }
            }
        }
        names
    }

    #[test]
    fn every_message_of_every_locale_is_valid_telegram_html() {
        // Each message rendered with every variable a text that needs escaping (escaped, as
        // `Args::text` does), then with numbers that pick each plural form.
        let text = escape("<b>R&D</b> \"5\" > 2,5");
        let mut refused = Vec::new();
        for lang in Lang::ALL {
            let names = variables(lang.code());
            let mut samples: Vec<HashMap<Cow<'static, str>, FluentValue<'static>>> = Vec::new();
            samples.push(
                names
                    .iter()
                    .map(|n| (Cow::Owned(n.clone()), FluentValue::from(text.clone())))
                    .collect(),
            );
            for number in [0.0, 1.0, 2.0, 5.0, 21.0, 2.5] {
                samples.push(
                    names
                        .iter()
                        .map(|n| (Cow::Owned(n.clone()), FluentValue::from(number)))
                        .collect(),
                );
            }
            for key in keys(lang.code()) {
                for args in &samples {
                    let rendered = LOCALES
                        .try_lookup_with_args(&lang.id(), &key, args)
                        .unwrap_or_else(|| panic!("{key} in {lang:?}"));
                    if let Err(e) = crate::bot::html::check(&rendered) {
                        refused.push(format!("{lang:?} {key}: {e}: {rendered:?}"));
                        break;
                    }
                }
            }
        }
        assert!(refused.is_empty(), "{}", refused.join("\n"));
    }

    #[test]
    fn languages_come_from_the_stored_choice_then_telegram_then_english() {
        assert_eq!(Lang::pick(None, Some("ru-RU")), Lang::Ru);
        assert_eq!(Lang::pick(Some("en"), Some("ru")), Lang::En);
        assert_eq!(Lang::pick(None, Some("de")), Lang::En);
        assert_eq!(Lang::pick(Some("xx"), None), Lang::En);
        assert_eq!(Lang::parse("RU_ru"), Some(Lang::Ru));
    }

    #[test]
    fn string_arguments_are_escaped_and_html_is_not() {
        let args = Args::new().text("reason", "<b>&");
        assert_eq!(
            t_args(Lang::En, "error-unexpected", &args),
            "Something went wrong: &lt;b&gt;&amp;. Please try again."
        );
    }

    #[test]
    fn decimals_keep_the_point_in_english_and_take_the_comma_in_russian() {
        assert_eq!(decimal(Lang::En, "30.0"), "30.0");
        assert_eq!(decimal(Lang::Ru, "30.0"), "30,0");
        assert_eq!(decimal(Lang::Ru, "+0:00:01.5"), "+0:00:01,5");
        assert_eq!(decimal(Lang::Ru, "50"), "50");
    }

    #[test]
    fn russian_plurals_follow_russian_rules() {
        let n = |n: f64| t_args(Lang::Ru, "n-accounts", &Args::new().num("count", n));
        assert_eq!(n(1.0), "1 аккаунт");
        assert_eq!(n(3.0), "3 аккаунта");
        assert_eq!(n(5.0), "5 аккаунтов");
        assert_eq!(n(21.0), "21 аккаунт");
    }
}
