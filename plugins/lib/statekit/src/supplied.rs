//! The personal data the user gave in a session (their own card for a payment, a
//! contact's address to write to): in a later tool call's arguments it is what the
//! user asked the agent to act on, not a leak. Kept in the host's keyed state,
//! partitioned by session, so a restart or another worker continues it.

use crate::Kept;
use datakit::Kind;
use datakit::args::party;

/// Values the user wrote: (type, party) → true.
const SUPPLIED: Kept = Kept::new("supplied");

/// Remember each personal datum in a text the user wrote.
pub fn remember(text: &str) {
    for entity in datakit::scan(text).iter().filter(|e| personal(e.kind)) {
        // Best effort: past the host's state cap the detector reports as if it had not
        // seen the value, which costs a finding, never one missed.
        let _ = SUPPLIED.insert_new(&[entity.kind.id(), &key(entity.kind, &text[entity.range.clone()])], &true);
    }
}

/// How a datum is kept: as [`party`] writes it; a phone number by its last nine
/// digits, so that `020 7946 0958` and `+44 20 7946 0958` are one number.
fn key(kind: Kind, value: &str) -> String {
    let party = party(value);
    match kind {
        Kind::Phone => party[party.len().saturating_sub(9)..].to_owned(),
        _ => party,
    }
}

/// Whether the user gave `value`, a datum of `kind`, earlier in the session.
pub fn by_user(kind: Kind, value: &str) -> bool {
    personal(kind) && SUPPLIED.get::<bool>(&[kind.id(), &key(kind, value)]).is_some()
}

/// Personal data, which the user may hand the agent; a credential in a tool call is
/// reported whoever wrote it.
fn personal(kind: Kind) -> bool {
    !matches!(kind, Kind::Secret(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aiir_sdk::testkit::in_partition;

    #[test]
    fn what_the_user_wrote_is_theirs_in_their_session_only() {
        in_partition("s1", || {
            remember("Please pay my landlord, IBAN GB29 NWBK 6016 1331 9268 19, and mail ann@ray.example");
            assert!(by_user(Kind::Iban, "GB29NWBK60161331926819"));
            assert!(by_user(Kind::Email, "Ann@Ray.example"));
            assert!(!by_user(Kind::Iban, "DE89370400440532013000"));
            remember("call me on 020 7946 0958");
            assert!(by_user(Kind::Phone, "+44 20 7946 0958"), "one number, national or international");
        });
        in_partition("s2", || assert!(!by_user(Kind::Iban, "GB29NWBK60161331926819")));
    }
}
