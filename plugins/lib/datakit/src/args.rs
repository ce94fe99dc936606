//! The strings inside a tool call's arguments, with the key each sits under.

use crate::link::{self, Url};
use serde_json::Value;

/// Keys whose value names who receives a message.
const RECIPIENT_KEYS: &[&str] = &["to", "cc", "bcc", "recipient", "recipients", "to_address", "email_to", "send_to"];
/// Keys whose value names who receives a payment.
const PAYEE_KEYS: &[&str] = &[
    "iban",
    "to_iban",
    "recipient_iban",
    "payee",
    "payee_iban",
    "beneficiary",
    "beneficiary_iban",
    "creditor_iban",
    "destination_iban",
    "to_account",
    "destination_account",
    "recipient_account",
];

/// Where an argument sends something.
#[derive(Debug, Clone, PartialEq)]
pub enum Destination<'a> {
    /// The argument is an http(s) URL.
    Url(Url<'a>),
    /// The argument names a mail recipient; this is the domain, lowercased.
    Mail(String),
}

impl Destination<'_> {
    /// The host or mail domain it goes to.
    pub fn host(&self) -> &str {
        match self {
            Destination::Url(url) => &url.host,
            Destination::Mail(domain) => domain,
        }
    }
}

/// One string value of the arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    /// The key it sits under, lowercased (`to`, `url`); empty at the top level.
    pub key: String,
    /// Where it is: `headers.authorization`, `recipients[1]`; empty for the whole text.
    pub path: String,
    /// The string (numbers and booleans as their JSON text).
    pub value: String,
}

impl Arg {
    /// Whether the argument names who receives a message (`to`, `cc`, `recipients` …).
    pub fn is_recipient(&self) -> bool {
        RECIPIENT_KEYS.contains(&self.key.as_str())
    }

    /// Whether the argument names who receives a message or a payment: what it
    /// holds is where the action goes, not data it carries.
    pub fn is_addressee(&self) -> bool {
        self.is_recipient() || self.is_payee()
    }

    /// Whether the argument names who receives a payment (`iban`, `payee` …).
    pub fn is_payee(&self) -> bool {
        PAYEE_KEYS.contains(&self.key.as_str())
    }

    /// The parties an addressee argument names (`a@x.example, b@y.example`, an IBAN
    /// written with or without spaces), each as [`party`] writes it; none otherwise.
    pub fn addressees(&self) -> Vec<String> {
        if !self.is_addressee() {
            return Vec::new();
        }
        let each = self.value.split([',', ';', '<', '>']).map(str::trim).filter(|s| !s.is_empty());
        each.flat_map(|s| s.split(' ').filter(|w| w.contains('@')).chain([s])).map(party).collect()
    }

    /// Where this argument sends something: a URL argument's host, or the domains of
    /// a recipient argument (`to`, `cc`, `recipients` …); empty for anything else.
    pub fn destinations(&self) -> Vec<Destination<'_>> {
        let value = self.value.trim();
        if self.is_recipient() && value.contains('@') {
            let domains = value.split([',', ';', ' ']).filter_map(|a| a.trim().rsplit_once('@'));
            return domains.map(|(_, d)| Destination::Mail(d.trim_end_matches('>').to_lowercase())).collect();
        }
        let single = !value.contains(char::is_whitespace);
        link::parse(value).filter(|_| single).map(Destination::Url).into_iter().collect()
    }
}

/// A party's address as comparisons need it: a mail address lowercased, anything else
/// (an IBAN, a phone or account number) as its letters and digits, lowercased.
pub fn party(value: &str) -> String {
    if value.contains('@') {
        return value.trim().to_lowercase();
    }
    value.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// Every string in `arguments`: each leaf of a JSON document, or the whole text when
/// it is not JSON (models do write plain text there).
pub fn strings(arguments: &str) -> Vec<Arg> {
    let mut out = Vec::new();
    match serde_json::from_str::<Value>(arguments) {
        Ok(value) => walk(&value, "", "", &mut out),
        Err(_) => out.push(Arg { key: String::new(), path: String::new(), value: arguments.to_owned() }),
    }
    out
}

/// Depth-first; object keys in sorted order (serde_json's map).
fn walk(value: &Value, key: &str, path: &str, out: &mut Vec<Arg>) {
    let leaf = |v: String| Arg { key: key.to_ascii_lowercase(), path: path.to_owned(), value: v };
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let sub = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                walk(v, k, &sub, out);
            }
        }
        Value::Array(items) => {
            for (n, v) in items.iter().enumerate() {
                walk(v, key, &format!("{path}[{n}]"), out);
            }
        }
        Value::String(s) => out.push(leaf(s.clone())),
        Value::Null => {}
        other => out.push(leaf(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_json_leaves_with_keys_and_paths() {
        let got = strings(r#"{"To": ["a@x.example"], "body": "hi", "opts": {"n": 2, "x": null}}"#);
        let got: Vec<(&str, &str, &str)> =
            got.iter().map(|a| (a.key.as_str(), a.path.as_str(), a.value.as_str())).collect();
        assert_eq!(got, [("to", "To[0]", "a@x.example"), ("body", "body", "hi"), ("n", "opts.n", "2")]);
    }

    #[test]
    fn urls_and_recipients_are_destinations() {
        let all = strings(
            r#"{"url": "https://A.example/x", "to": "a@x.example, B <b@Y.example>", "body": "see https://z.example"}"#,
        );
        let hosts: Vec<Vec<String>> =
            all.iter().map(|a| a.destinations().iter().map(|d| d.host().to_owned()).collect()).collect();
        // Keys come sorted: body, to, url.
        assert_eq!(hosts, [vec![], vec!["x.example", "y.example"], vec!["a.example"]]);
    }

    #[test]
    fn recipients_and_payees_name_the_parties_an_action_goes_to() {
        let all = strings(
            r#"{"to": "Ann <Ann@X.example>, b@y.example", "iban": "DE89 3704 0044 0532 0130 00", "memo": "DE89"}"#,
        );
        let parties: Vec<Vec<String>> = all.iter().map(Arg::addressees).collect();
        // Keys come sorted: iban, memo, to.
        assert_eq!(parties[0], ["de89370400440532013000"]);
        assert!(parties[1].is_empty(), "a memo names no party");
        assert!(parties[2].contains(&"ann@x.example".to_owned()) && parties[2].contains(&"b@y.example".to_owned()));
        assert_eq!(party(" Ann@X.example "), "ann@x.example");
        assert_eq!(party("+44 (20) 7946-0958"), "442079460958");
    }

    #[test]
    fn plain_text_is_one_string() {
        assert_eq!(strings("rm -rf /")[0].value, "rm -rf /");
    }
}
