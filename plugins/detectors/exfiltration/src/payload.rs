//! What a URL or a tool call's arguments carry: personal data and credentials, words
//! from the conversation, long or encoded blobs; and the URL shown with them masked.

use datakit::link::{self, Url};
use datakit::{Kind, Redacted};
use std::cell::OnceCell;
use std::collections::HashSet;

/// Words in a row that make a piece of text a quotation of the conversation: enough
/// that common phrases ("where is my order") do not count by chance.
const QUOTED_WORDS: usize = 4;
/// A URL piece shown in evidence as it is when no longer than this, else as its length.
const SHOWN_CHARS: usize = 24;

/// The texts the model was given in this call, as 4-word sequences, made only when a
/// link or tool call is there to compare (most outputs carry none).
#[derive(Debug, Default)]
pub struct Conversation<'a> {
    texts: Vec<&'a str>,
    ngrams: OnceCell<HashSet<String>>,
}

impl<'a> Conversation<'a> {
    pub fn new(texts: impl IntoIterator<Item = &'a str>) -> Self {
        Self { texts: texts.into_iter().collect(), ngrams: OnceCell::new() }
    }

    fn ngrams(&self) -> &HashSet<String> {
        self.ngrams.get_or_init(|| {
            let sequences = |text: &&str| words(text).windows(QUOTED_WORDS).map(|w| w.join(" ")).collect::<Vec<_>>();
            self.texts.iter().flat_map(sequences).collect()
        })
    }

    /// Whether `text` repeats four words in a row of the conversation.
    fn quoted_in(&self, text: &str) -> bool {
        let ngrams = self.ngrams();
        !ngrams.is_empty() && words(text).windows(QUOTED_WORDS).any(|w| ngrams.contains(&w.join(" ")))
    }
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// What was found in a URL or in arguments.
#[derive(Debug, Default, PartialEq)]
pub struct Carried {
    /// Personal data and credentials, each kind once, in order of appearance.
    pub kinds: Vec<Kind>,
    /// Four or more words in a row from the conversation.
    pub conversation: bool,
    /// A long or encoded (base64, hex) payload.
    pub encoded: bool,
}

impl Carried {
    /// Data that identifies what leaks: personal data, credentials or conversation.
    pub fn has_data(&self) -> bool {
        !self.kinds.is_empty() || self.conversation
    }

    /// Whether anything at all was found.
    pub fn any(&self) -> bool {
        self.has_data() || self.encoded
    }

    /// Whether it carries a credential.
    pub fn has_secret(&self) -> bool {
        self.kinds.iter().any(|k| k.is_secret())
    }

    /// `email address, conversation text and a long encoded payload`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<&str> = self.kinds.iter().map(|k| k.label()).collect();
        if self.conversation {
            parts.push("text from the conversation");
        }
        if self.encoded {
            parts.push("a long or encoded payload");
        }
        match parts.split_last() {
            Some((last, [])) => (*last).to_owned(),
            Some((last, init)) => format!("{} and {last}", init.join(", ")),
            None => String::new(),
        }
    }

    /// Count a kind of datum, once.
    pub fn add_kind(&mut self, kind: Kind) {
        if !self.kinds.contains(&kind) {
            self.kinds.push(kind);
        }
    }

    /// Add what another analysis found.
    pub fn merge(&mut self, other: Carried) {
        other.kinds.into_iter().for_each(|k| self.add_kind(k));
        self.conversation |= other.conversation;
        self.encoded |= other.encoded;
    }

    /// Look in one decoded piece of text.
    pub fn add_text(&mut self, text: &str, conversation: &Conversation) -> Vec<datakit::Entity> {
        let entities = datakit::scan(text);
        entities.iter().for_each(|e| self.add_kind(e.kind));
        self.conversation |= conversation.quoted_in(text);
        entities
    }

    /// Look in a raw piece (a path segment, a query value, an argument): decoded from
    /// percent-encoding, and from base64 or hex when it is a blob of text.
    pub fn add_piece(&mut self, raw: &str, conversation: &Conversation) -> String {
        let decoded = link::percent_decode(raw, true);
        let entities = self.add_text(&decoded, conversation);
        if let Some(inner) = decode_blob(raw) {
            self.add_text(&inner, conversation);
        }
        self.encoded |= is_blob(raw) || decoded.chars().count() > 100;
        shown(raw, &decoded, &entities)
    }
}

/// A URL piece as evidence shows it: masked when it holds data, cut when it is long.
fn shown(raw: &str, decoded: &str, entities: &[datakit::Entity]) -> String {
    let n = raw.chars().count();
    if !entities.is_empty() {
        let masked = Redacted::new(decoded, entities).text;
        if masked.chars().count() > 60 { format!("{}…", masked.chars().take(60).collect::<String>()) } else { masked }
    } else if n > SHOWN_CHARS {
        format!("[{n} chars]")
    } else {
        raw.to_owned()
    }
}

/// Analyse a URL: what its path segments, query values and fragment carry, and the
/// URL as evidence shows it.
pub fn url(url: &Url<'_>, conversation: &Conversation) -> (Carried, String) {
    let mut carried = Carried::default();
    let path: Vec<String> = url
        .path
        .split('/')
        .map(|s| if s.is_empty() { String::new() } else { carried.add_piece(s, conversation) })
        .collect();
    let query: Vec<String> = url
        .query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) => format!("{key}={}", carried.add_piece(value, conversation)),
            None => carried.add_piece(pair, conversation),
        })
        .collect();
    let mut shown = format!("https://{}{}", url.host, path.join("/"));
    if !query.is_empty() {
        shown = format!("{shown}?{}", query.join("&"));
    }
    if !url.fragment.is_empty() {
        shown = format!("{shown}#{}", carried.add_piece(url.fragment, conversation));
    }
    (carried, shown)
}

/// A long token of base64 (mixing cases and digits, as encoded data does and words do
/// not, in runs longer than words: `order+A-10482+it+was` is words joined) or of hex.
pub fn is_blob(s: &str) -> bool {
    let longest_run = s.split(['+', '/', '=', '_', '-']).map(str::len).max().unwrap_or(0);
    let b64 = s.len() >= 24
        && longest_run >= 16
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=_-".contains(&b))
        && s.bytes().any(|b| b.is_ascii_uppercase())
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && s.bytes().any(|b| b.is_ascii_digit());
    let hex = s.len() >= 32 && s.bytes().all(|b| b.is_ascii_hexdigit());
    b64 || hex
}

/// The text a base64 or hex blob decodes to, when it is text.
fn decode_blob(s: &str) -> Option<String> {
    if s.len() < 16 {
        return None;
    }
    let hex = s.len().is_multiple_of(2) && s.bytes().all(|b| b.is_ascii_hexdigit());
    let bytes = if hex {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok()).collect::<Option<Vec<u8>>>()?
    } else {
        link::base64_decode(s)?
    };
    let text = String::from_utf8(bytes).ok()?;
    let printable = text.chars().filter(|c| !c.is_control() || c.is_whitespace()).count();
    (printable * 10 >= text.chars().count() * 9).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn carried(u: &str, conversation: &Conversation) -> (Carried, String) {
        url(&link::parse(u).unwrap(), conversation)
    }

    #[test]
    fn finds_personal_data_in_query_values_and_masks_it() {
        let (c, shown) = carried("https://x.example/p.png?u=ana.lima%40mail.example&s=1", &Conversation::default());
        assert_eq!(c.kinds, [Kind::Email]);
        assert_eq!(shown, "https://x.example/p.png?u=a***@m***.example&s=1");
    }

    #[test]
    fn finds_conversation_and_base64_blobs() {
        let conversation = Conversation::new(["Hi, where is my order A-10482? It was supposed to arrive yesterday."]);
        let (c, _) = carried("https://x.example/l?q=order+A-10482+it+was+supposed", &conversation);
        assert!(c.conversation && !c.encoded);
        // base64 of "card 4111 1111 1111 1111 for ana"
        let (c, shown) =
            carried("https://x.example/c/Y2FyZCA0MTExIDExMTEgMTExMSAxMTExIGZvciBhbmE", &Conversation::default());
        assert_eq!((c.kinds.as_slice(), c.encoded), ([Kind::CreditCard].as_slice(), true));
        assert_eq!(shown, "https://x.example/c/[43 chars]");
    }

    #[test]
    fn ordinary_urls_carry_nothing() {
        let conversation = Conversation::new(["How long does a refund take after I send shoes back?"]);
        for u in [
            "https://help.northwind.example/articles/returns-and-refunds?utm_source=chat",
            "https://www.dhl.example/track?id=00340434161094042557",
            "https://shop.example/orders/1b4e28ba-2fa1-11d2-883f-0016d3cca427",
            "https://cdn.example/img/IMG_2041_1024x1024.jpg?v=1679443363",
        ] {
            let (c, _) = carried(u, &conversation);
            assert!(!c.any(), "{u}: {c:?}");
        }
    }
}
