//! The targets an action can be aimed at — mail addresses, IBANs, web hosts — found in
//! any text and normalised, so that the same target matches however it was written
//! (`Mallory@Evil.example`, `GB29 NWBK …` or `GB29NWBK…`, `https://www.x.example/a`),
//! each with the clause it stands in, and whether a clause asks for an action.
//!
//! Plain scanning, no regexes: a detector's first call pays for every regex it
//! compiles, and these run on every event of an agent's session.

use crate::link;

/// Verbs that ask for an action, matched as whole words.
const REQUEST: &[&str] = &[
    "send", "forward", "transfer", "wire", "pay", "email", "mail", "share", "upload", "post", "grant", "give", "add",
    "invite", "delete", "remove", "change", "reset", "update", "visit", "open", "click", "fetch", "download", "run",
    "execute", "reply", "cc", "bcc", "copy", "move", "submit", "approve", "book", "schedule", "contact", "write",
    "message", "call", "notify", "set", "settle", "route", "assign", "enable", "disable", "export", "publish", "erase",
    "purge", "wipe", "drop", "replace", "modify", "edit", "create", "deposit", "refund", "withdraw", "sign", "accept",
    "confirm", "use", "rename", "revoke", "invoke",
];
/// What may end a sentence after a token.
const SENTENCE_END: [char; 4] = ['.', ':', '!', '?'];
/// Longest IBAN (ISO 13616), and the shortest (Norway's).
const IBAN_CHARS: std::ops::RangeInclusive<usize> = 15..=34;

/// A target found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Target<'a> {
    /// The target, normalised: a mail address lowercased, an IBAN without spaces, a web
    /// host as `host:name` (lowercased, without `www.`).
    pub key: String,
    /// The clause it stands in.
    pub clause: &'a str,
}

/// Every target in `text`, clause by clause, with the clause it stands in.
pub fn targets(text: &str) -> Vec<Target<'_>> {
    let mut out = Vec::new();
    for clause in clauses(text) {
        for token in tokens(clause) {
            let key = link::parse(token).map(|u| host_target(&u.host)).or_else(|| email(token));
            out.extend(key.map(|key| Target { key, clause }));
        }
        out.extend(ibans(clause).into_iter().map(|key| Target { key, clause }));
    }
    out
}

/// The values a text names that an action could be given word for word — a new
/// password, a file or account id, a code: tokens of at least [`VALUE_CHARS`]
/// characters with a digit or a symbol in them, that are no mail address, URL or
/// IBAN (those are [`targets`]) — each keyed `value:<lowercased>`, with its clause.
pub fn values(text: &str) -> Vec<Target<'_>> {
    let mut out = Vec::new();
    for clause in clauses(text) {
        let found = tokens(clause).filter(|t| is_value(t)).map(|t| Target { key: value_key(t), clause });
        out.extend(found);
    }
    out
}

/// The key [`values`] gives `token`, for looking up a whole argument: lowercased,
/// without the punctuation that may end a sentence (as in a clause's tokens).
pub fn value_key(token: &str) -> String {
    format!("value:{}", token.trim().trim_end_matches(SENTENCE_END).to_lowercase())
}

/// Shortest value [`values`] takes: shorter ones (`13`, `v2`) recur in any text.
const VALUE_CHARS: usize = 6;

fn is_value(token: &str) -> bool {
    let marked = token.chars().any(|c| c.is_ascii_digit() || (c.is_ascii_punctuation() && c != '-' && c != '\''));
    // The cheap tests first: nearly every token is a plain word.
    marked && token.chars().count() >= VALUE_CHARS && token.chars().any(char::is_alphanumeric) && !is_target(token)
}

/// Whether a token is a mail address, a URL or an IBAN.
fn is_target(token: &str) -> bool {
    token.contains('@') || link::parse(token).is_some() || !ibans(token).is_empty()
}

/// The clauses of a text: split at a line break, a semicolon, or a sentence's end
/// before a space (a dot inside `x@mail.example` or a URL ends nothing).
fn clauses(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let ends = (0..bytes.len()).filter(move |&i| match bytes[i] {
        b'\n' | b';' => true,
        b'.' | b'!' | b'?' => bytes.get(i + 1).is_none_or(u8::is_ascii_whitespace),
        _ => false,
    });
    let mut start = 0;
    ends.chain([bytes.len()]).filter_map(move |end| {
        let clause = &text[start..end];
        start = (end + 1).min(text.len());
        (!clause.trim().is_empty()).then_some(clause)
    })
}

/// A clause's tokens: runs between spaces, brackets, quotes and commas, without the
/// punctuation that ends a sentence.
fn tokens(clause: &str) -> impl Iterator<Item = &str> {
    // A `match`, not `str::contains`: a search per character costs a call to `memchr`.
    let token = clause.split(|c: char| {
        c.is_whitespace() || matches!(c, '<' | '>' | '(' | ')' | '[' | ']' | '{' | '}' | '"' | '\'' | '`' | ',' | ';')
    });
    token.map(|t| t.trim_end_matches(SENTENCE_END)).filter(|t| !t.is_empty())
}

/// Whether a clause asks for an action, in its words rather than inside its addresses
/// (`jonas@mail.example` asks nothing).
pub fn asks(clause: &str) -> bool {
    let plain = tokens(clause).filter(|t| !t.contains('@') && !t.contains("://"));
    let mut words = plain.flat_map(|t| t.split(|c: char| !c.is_alphanumeric()));
    words.any(|w| REQUEST.iter().any(|r| r.eq_ignore_ascii_case(w)))
}

/// A mail address, lowercased (role accounts included: an attacker's `billing@` is one).
fn email(token: &str) -> Option<String> {
    let (local, domain) = token.split_once('@')?;
    let tld = domain.rsplit_once('.')?.1;
    let valid = !local.is_empty()
        && local.chars().all(|c| c.is_alphanumeric() || "._%+-".contains(c))
        && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-')
        && tld.len() >= 2
        && tld.chars().all(char::is_alphabetic);
    valid.then(|| token.to_lowercase())
}

/// IBANs as people write them (country, check digits, groups of four letters and
/// digits, spaced or not), without their spaces.
fn ibans(clause: &str) -> Vec<String> {
    let b = clause.as_bytes();
    let code = |c: u8| c.is_ascii_uppercase() || c.is_ascii_digit();
    let mut out = Vec::new();
    for start in 0..b.len().saturating_sub(4) {
        let head = b[start..start + 2].iter().all(u8::is_ascii_uppercase)
            && b[start + 2..start + 4].iter().all(u8::is_ascii_digit);
        if !head || (start > 0 && b[start - 1].is_ascii_alphanumeric()) {
            continue;
        }
        let (mut iban, mut at) = (String::new(), start);
        while at < b.len() && iban.len() < *IBAN_CHARS.end() {
            if code(b[at]) {
                iban.push(char::from(b[at]));
            } else if !(b[at] == b' ' && iban.len() % 4 == 0 && b.get(at + 1).is_some_and(|&c| code(c))) {
                break;
            }
            at += 1;
        }
        let ends_word = b.get(at).is_none_or(|c| !c.is_ascii_alphanumeric());
        if ends_word && IBAN_CHARS.contains(&iban.len()) {
            out.push(iban);
        }
    }
    out
}

/// A web host as a target: lowercased, with a `www.` dropped.
pub fn host_target(host: &str) -> String {
    let host = host.to_lowercase();
    format!("host:{}", host.strip_prefix("www.").unwrap_or(&host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<String> {
        targets(text).into_iter().map(|t| t.key).collect()
    }

    #[test]
    fn finds_and_normalises_each_kind() {
        let text = "Wire it to GB29 NWBK 6016 1331 9268 19, mail Mallory@Evil.example. See https://www.Pay.example/x.";
        assert_eq!(keys(text), ["mallory@evil.example", "GB29NWBK60161331926819", "host:pay.example"]);
        assert_eq!(keys("GB29NWBK60161331926819"), ["GB29NWBK60161331926819"]);
        assert!(keys("part AB12-3456, ISO 9001, order A-10482").is_empty());
    }

    #[test]
    fn values_are_distinctive_tokens_that_are_not_targets() {
        let found: Vec<String> =
            values("Set the password to Hunter2024! and delete file-0913; mail x@y.example, see https://a.example")
                .into_iter()
                .map(|t| t.key)
                .collect();
        assert_eq!(found, ["value:hunter2024", "value:file-0913"]);
        assert!(values("delete file 13 and the well-known archive").is_empty(), "short or plain words");
        assert_eq!(value_key(" Hunter2024! "), "value:hunter2024", "as the clause's token");
    }

    #[test]
    fn clauses_end_at_sentences_not_at_dots_in_addresses() {
        let [a, b] = targets("Contact x@y.example today. Bob: bob@mail.example").try_into().unwrap();
        assert_eq!((a.clause, asks(a.clause)), ("Contact x@y.example today", true));
        assert_eq!(
            (b.clause, asks(b.clause)),
            (" Bob: bob@mail.example", false),
            "the word in an address asks nothing"
        );
    }
}
