//! What a tool call does, judged by the tool's name, what its description says it does
//! and its arguments' shape, or as the operator's catalogue says: the actions whose
//! consequences reach past the conversation (money moved, credentials or permissions
//! changed, data shared, things deleted, messages sent, code run). An injected request
//! that causes one of them is worse than one that causes a lookup.

use crate::patterns::{is_shell_tool, name_words};
use datakit::args::Arg;
use statekit::words;

/// A sensitive capability of a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    Transfer,
    Credentials,
    Share,
    Delete,
    Send,
    Execute,
}

/// Each capability, its name in the settings, what a call of it does, the words of a
/// tool name and the argument keys that show it (beside a payment's payee and a
/// message's recipients, which `datakit` knows), in the order they are tried (a
/// `send_money` tool moves money before it sends anything).
const TABLE: [Row; 6] = [
    Row {
        capability: Capability::Transfer,
        name: "transfer",
        does: "moves money",
        words: &["transfer", "wire", "pay", "payment", "payout", "refund", "remit", "money", "funds", "withdraw"],
        keys: &["amount_cents"],
    },
    Row {
        capability: Capability::Credentials,
        name: "credentials",
        does: "changes credentials or permissions",
        words: &[
            "password",
            "passwd",
            "credential",
            "credentials",
            "permission",
            "permissions",
            "role",
            "roles",
            "grant",
            "mfa",
            "2fa",
            "apikey",
        ],
        keys: &["password", "new_password", "passwd", "role", "permission", "permissions", "scopes"],
    },
    Row {
        capability: Capability::Share,
        name: "share",
        does: "shares data",
        words: &["share", "invite", "collaborator", "collaborators", "publish"],
        keys: &["share_with", "collaborator", "collaborators", "invitee", "invitees"],
    },
    Row {
        capability: Capability::Delete,
        name: "delete",
        does: "deletes",
        words: &["delete", "remove", "purge", "erase", "wipe", "destroy", "drop", "unlink"],
        keys: &[],
    },
    Row {
        capability: Capability::Send,
        name: "send",
        does: "sends a message",
        words: &["send", "email", "mail", "message", "sms", "reply", "forward", "post", "notify", "tweet"],
        keys: &[],
    },
    Row { capability: Capability::Execute, name: "execute", does: "runs commands or code", words: &[], keys: &[] },
];

/// One capability's entry in [`TABLE`].
struct Row {
    capability: Capability,
    name: &'static str,
    does: &'static str,
    words: &'static [&'static str],
    keys: &'static [&'static str],
}

impl Row {
    /// Whether `word` is one of the row's words, in any case.
    fn names(&self, word: &str) -> bool {
        self.words.iter().any(|w| w.eq_ignore_ascii_case(word))
    }
}

impl Capability {
    /// What a call with this capability does, for a finding's title.
    pub fn does(self) -> &'static str {
        row(self).does
    }

    /// The capability named `name` in the settings.
    pub fn named(name: &str) -> Option<Self> {
        TABLE.iter().find(|r| r.name == name).map(|r| r.capability)
    }

    /// Every name, for messages.
    pub fn names() -> Vec<&'static str> {
        TABLE.iter().map(|r| r.name).collect()
    }

    /// Its name in the settings.
    pub fn name(self) -> &'static str {
        row(self).name
    }

    /// The capabilities a person's words ask for: "change my password" asks for a
    /// credentials change, "pay the rent" for a transfer.
    pub fn asked_in(text: &str) -> impl Iterator<Item = Self> {
        // One pass over the text's words, none copied: the table's words are lowercase ASCII.
        let mut asked = [false; TABLE.len()];
        for word in words(text) {
            for (seen, row) in asked.iter_mut().zip(&TABLE) {
                *seen |= row.names(word);
            }
        }
        TABLE.iter().zip(asked).filter(|(_, seen)| *seen).map(|(row, _)| row.capability)
    }

    /// Whether an injected request causing it can move money or take over an account.
    pub fn is_grave(self) -> bool {
        matches!(self, Capability::Transfer | Capability::Credentials)
    }
}

fn row(c: Capability) -> &'static Row {
    TABLE.iter().find(|r| r.capability == c).expect("every capability has a row")
}

/// What `tool` called with `args` does: the operator's entry for the tool when there
/// is one (`None` there exempts it), else by its name's words, then by what its
/// `description` (the log's, when it has one) says, then by its arguments' keys.
pub fn of(
    tool: &str,
    description: Option<&str>,
    args: &[Arg],
    catalogue: &[(String, Option<Capability>)],
) -> Option<Capability> {
    if let Some((_, entry)) = catalogue.iter().find(|(name, _)| name == tool) {
        return *entry;
    }
    if is_shell_tool(tool) {
        return Some(Capability::Execute);
    }
    let words = name_words(tool);
    let named = TABLE.iter().find(|r| words.iter().any(|w| r.words.contains(&w.as_str())));
    let shaped = || TABLE.iter().find(|r| args.iter().any(|a| shows(r, a)));
    named.or_else(|| description.and_then(described)).or_else(shaped).map(|r| r.capability)
}

/// Verbs that open the description of a tool that only reads ("Looks up a payment").
const READS: &[&str] = &[
    "get",
    "list",
    "read",
    "search",
    "fetch",
    "look",
    "lookup",
    "check",
    "view",
    "show",
    "find",
    "query",
    "retrieve",
    "return",
    "count",
    "describe",
    "summarize",
    "summarise",
    "calculate",
    "estimate",
    "validate",
    "preview",
    "draft",
];

/// How many of a description's first words say what the tool does.
const LEADING_WORDS: usize = 8;

/// What a tool's description says it does: the first of the table's words among the
/// leading words of its first sentence ("Moves funds to a payee", "Permanently deletes
/// a file"), unless a verb that only reads comes first.
fn described(description: &str) -> Option<&'static Row> {
    let sentence = description.split(['.', ';', '\n']).next().unwrap_or("");
    for word in words(sentence).take(LEADING_WORDS) {
        let word = word.to_lowercase();
        if stems(&word).any(|s| READS.contains(&s)) {
            return None;
        }
        if let Some(row) = TABLE.iter().find(|r| stems(&word).any(|s| r.names(s))) {
            return Some(row);
        }
    }
    None
}

/// A word and the stems a verb's or noun's `-s` and `-es` leave: "sends", "wires",
/// "pushes".
fn stems(word: &str) -> impl Iterator<Item = &str> {
    let s = word.strip_suffix('s');
    let es = word.strip_suffix("es");
    std::iter::once(word).chain(s).chain(es)
}

/// Whether argument `arg` shows the capability of `row`.
fn shows(row: &Row, arg: &Arg) -> bool {
    match row.capability {
        Capability::Transfer => arg.is_payee() || row.keys.contains(&arg.key.as_str()),
        Capability::Send => arg.is_recipient(),
        _ => row.keys.contains(&arg.key.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datakit::args::strings;

    fn cap(tool: &str, args: &str) -> Option<&'static str> {
        of(tool, None, &strings(args), &[]).map(|c| row(c).name)
    }

    #[test]
    fn by_the_tools_name_first() {
        assert_eq!(cap("send_money", "{}"), Some("transfer"));
        assert_eq!(cap("updatePassword", "{}"), Some("credentials"));
        assert_eq!(cap("share_document", "{}"), Some("share"));
        assert_eq!(cap("delete_file", r#"{"file_id": "13"}"#), Some("delete"));
        assert_eq!(cap("send_email", r#"{"to": "a@b.example"}"#), Some("send"));
        assert_eq!(cap("bash", r#"{"command": "ls"}"#), Some("execute"));
        assert_eq!(cap("get_weather", r#"{"city": "Oslo"}"#), None);
    }

    #[test]
    fn then_by_what_its_description_says_it_does() {
        let said = |description: &str| of("acme_action", Some(description), &[], &[]).map(|c| row(c).name);
        assert_eq!(said("Moves funds from the user's account to a payee."), Some("transfer"));
        assert_eq!(said("Permanently deletes a document. Cannot be undone."), Some("delete"));
        assert_eq!(said("Resets the password of an account"), Some("credentials"));
        assert_eq!(said("Sends an SMS to a phone number"), Some("send"));
        assert_eq!(said("Looks up the payment history of a customer."), None, "a lookup moves nothing");
        assert_eq!(said("Returns the latest emails in the inbox"), None);
        assert_eq!(said("Converts a currency amount. Transfers nothing."), None, "only the first sentence counts");
        // The tool's name comes first: its description does not overrule it.
        assert_eq!(of("send_report", Some("Reads a report."), &[], &[]).map(|c| row(c).name), Some("send"));
    }

    #[test]
    fn a_persons_words_ask_for_capabilities_whatever_their_case() {
        let asked: Vec<Capability> = Capability::asked_in("Please CHANGE my Password and pay the rent.").collect();
        assert_eq!(asked, [Capability::Transfer, Capability::Credentials]);
        assert_eq!(Capability::asked_in("What is on my calendar?").count(), 0);
    }

    #[test]
    fn else_by_the_shape_of_its_arguments() {
        assert_eq!(cap("schedule_transaction", r#"{"iban": "DE89370400440532013000", "amount": 5}"#), Some("transfer"));
        assert_eq!(cap("update_user", r#"{"user": "kim", "role": "admin"}"#), Some("credentials"));
        assert_eq!(cap("create_event", r#"{"title": "sync", "to": "a@b.example"}"#), Some("send"));
    }

    #[test]
    fn the_operators_catalogue_overrides_both() {
        let catalogue = [("acme_payout".to_owned(), Some(Capability::Transfer)), ("send_digest".to_owned(), None)];
        assert_eq!(of("acme_payout", None, &[], &catalogue), Some(Capability::Transfer));
        assert_eq!(of("send_digest", None, &strings(r#"{"to": "a@b.example"}"#), &catalogue), None);
    }
}
