//! The signals of a jailbreak, by kind. One kind alone is rarely enough: "act as a
//! travel guide" is a fair request, and a review may call a film "uncensored". A
//! jailbreak stacks kinds — a persona, freed of its rules, that never refuses, stays
//! in character and answers twice. So:
//! - framing (a persona, "stay in character", two answers: 0.25 each) is what honest
//!   role play uses too, and does not fire even in pairs;
//! - disarming (rule removal, a content policy, answering anything, a token threat:
//!   0.4–0.45) fires with framing or with another kind;
//! - only the phrases that exist to disarm a model fire alone (0.6–0.8).

use textscan::Spec;

/// A persona or role-play frame: weak alone, since plenty of honest prompts set one.
const PERSONA: &[Spec] = &[Spec {
    group: "persona",
    name: "persona framing",
    weight: 0.25,
    techniques: &[],
    source: concat!(
        r"\byou (?:are going to|will|must|shall|should|'re going to|are to|'ll|need to|have to|are about to)",
        r"(?: now| always| also| fully)? (?:act|pretend|roleplay|role-play|role play|play the (?:role|part)|simulate",
        r"|emulate|become|portray|embody|impersonate|pose as|take on the (?:role|persona)|assume the (?:role|persona",
        r"|identity))\b",
        r"|\b(?:act|behave|operate) (?:as|like) (?:an?|the|my) ",
        r"|\b(?:pretend|imagine) (?:to be|you are|you're|that you are|that you're)\b",
        r"|\byou are now\b|\bfrom now on,? you(?: are|'re| will be)\b|\bnow,? you(?: are|'re) [a-z0-9]+\b",
        r"|\brole[- ]?play|\b(?:take (?:up|on)|adopt|assume) the (?:persona|role|character|identity) of\b",
        r"|\bsimulate (?:being|a conversation|an?)\b|\bput yourself in\b",
        r"|\byou are (?:an?|the) [^.\n]{0,40}\b(?:named|called)\b",
        r"|\b(?:i want you to|i would like (?:for )?you to|i need you to|you're about to|you are about to)",
        r" (?:fully )?(?:act|pretend|simulate|play|be|become|immerse|roleplay|answer as|respond as)\b",
        r"|\bimmerse (?:yourself )?in(?:to)?\b|\b(?:respond|answer|reply)(?: to)? (?:all|every|each)[^.\n]{0,30} as [a-z]",
        r"|\bcontinue as\b",
    ),
}];

/// The named jailbreaks and "modes" a model is told it has entered.
const MODES: &[Spec] = &[
    Spec { group: "mode", name: "do anything now", weight: 0.8, techniques: &[], source: r"\bdo anything now\b" },
    Spec {
        group: "mode",
        name: "jailbreak mode",
        weight: 0.6,
        techniques: &[],
        source: concat!(
            r"\byou are (?:now )?in (?:developer|dev|debug|god|jailbreak|dan|unrestricted|maintenance) mode\b",
            r"|\b(?:developer|dev|dan|jailbreak|god|evil|chaos|unrestricted) mode (?:enabled|activated|is on)\b",
            r"|\b(?:you are|you're|act as|become|pretend to be) (?:now )?(?:dan|stan|dude|aim|anti-?gpt|betterdan)\b",
        ),
    },
    // Weak: "how do I enable developer mode on my phone?" is a fair question.
    Spec {
        group: "mode",
        name: "jailbreak mode",
        weight: 0.45,
        techniques: &[],
        source: r"\b(?:enable|activate|enter|switch to|turn on) (?:the )?(?:developer|dev|dan|jailbreak|god|evil|unrestricted|unfiltered) mode\b",
    },
];

/// The model freed of its rules, ethics or filters.
const RULE_REMOVAL: &[Spec] = &[
    Spec {
        group: "rules",
        name: "rule removal",
        weight: 0.7,
        techniques: &[],
        source: concat!(
            r"\b(?:no|without|free (?:of|from)|not (?:bound|restricted|restrained|limited) by|unbound by|ignores?",
            r"|disregards?|regardless of|(?:doesn't|does not|don't|do not) (?:have|follow|care about|abide by)",
            r"|never follows?|broken free of|released from|liberated from)",
            r"(?: any| all| the| its| your| their| typical| usual| normal| standard| of| sort of)*",
            r" (?:(?:ethical|moral|content|safety|openai|ai|programming|legal)(?: (?:and|or) (?:ethical|moral|legal))?",
            r" (?:rules|guidelines|restrictions|limits|limitations|filters?|boundaries|censorship|principles|policies",
            r"|constraints|safeguards|guardrails|concerns|standards|considerations|barriers)",
            r")\b",
            r"|\b(?:no|without|any) regard (?:to|for) (?:the )?(?:morality|ethics|legality|laws?)\b",
            r"|\b(?:morality|ethics|laws?|morals) (?:is|are) (?:now )?irrelevant\b",
        ),
    },
    Spec {
        group: "rules",
        name: "rule removal",
        weight: 0.6,
        techniques: &[],
        source: concat!(
            r"\bnot (?:bound|restricted|restrained|limited) by (?:any |the )?(?:rules|restrictions|limits|limitations",
            r"|filters|guidelines|policies)\b",
            r"|\b(?:break|bypass|escape|break free (?:of|from)) (?:its|your|their|the|all)(?: [a-z]+)? (?:programming",
            r"|restrictions|filters|guidelines|rules|constraints|shackles)\b",
        ),
    },
    // Medium: "no limits" and "uncensored" also describe phone plans and films, and
    // a story's villain may well have "no morals".
    Spec {
        group: "rules",
        name: "rule removal",
        weight: 0.4,
        techniques: &[],
        source: concat!(
            r"\b(?:no|without|free (?:of|from)|zero|unbound by)(?: any| all)? (?:rules|restrictions|limits|limitations",
            r"|filters?|boundaries|censorship|guidelines|anything|ethics|morals|morality|remorse)\b",
            r"|\b(?:does not|doesn't) have (?:a|any) (?:content )?filter\b",
            r"|\b(?:unfiltered|uncensored|unrestricted|amoral|jailbr(?:oken|eak)|unhinged)\b",
        ),
    },
    Spec {
        group: "policy",
        name: "content policy",
        weight: 0.4,
        techniques: &[],
        source: r"\b(?:content|usage|openai(?:'s)?|open ai(?:'s)?) polic(?:y|ies)\b",
    },
];

/// The model told never to refuse, apologise or warn.
const REFUSAL_SUPPRESSION: &[Spec] = &[
    Spec {
        group: "refusal",
        name: "refusal suppression",
        weight: 0.7,
        techniques: &[],
        source: concat!(
            r"\b(?:never|not|cannot|can't|won't|will not|must not|mustn't|don't|do not|shall not|can not)(?: ever)?",
            r" (?:refuse|decline|reject)s? (?:any |to (?:answer|respond|reply|comply|help|do)|(?:a |my |the user's )?",
            r"(?:request|question|order|prompt|task)s?\b|anything)|\bwithout (?:any )?(?:refusal|refusing)",
            r#"|\b(?:never|not|don't|do not|won't|will not|without|none of|avoid|no) [^.\n]{0,50}["'](?:i'm sorry"#,
            r"|i am sorry|i apologi[sz]e|as an ai|i cannot|i can't|i'm unable)",
        ),
    },
    // Singular "without warning" is how storms arrive; these are plural or "any".
    Spec {
        group: "refusal",
        name: "warning suppression",
        weight: 0.45,
        techniques: &[],
        source: concat!(
            r"\b(?:no|without|never|not|don't|won't) (?:(?:include|add|give|send|provide|contain|containing|including",
            r"|any|with)(?: any)? )?(?:warnings|disclaimers|caveats|moral(?:izing)? (?:lectures|warnings)",
            r"|warnings? (?:about|regarding) (?:morality|ethics|legality))\b",
            r"|\bwithout (?:any )?(?:disclaimers?|caveats?|warnings)\b",
        ),
    },
    Spec {
        group: "anything",
        name: "answers anything",
        weight: 0.4,
        techniques: &[],
        source: concat!(
            r"\b(?:answer|respond to|fulfill|comply with|reply to) (?:absolutely )?(?:anything|any (?:request|question",
            r"|prompt|query)s?|every (?:request|question|prompt)|all (?:requests|questions|prompts))\b",
            r"|\bcan (?:do|say|generate|write) anything\b",
            r"|\bno matter (?:how (?:immoral|unethical|illegal|dangerous|offensive|harmful|inappropriate|explicit|bad",
            r"|wrong|reckless)|what (?:it is|the request|you are asked|i ask|the question))\b",
            r"|\b(?:obey|comply with|follow) [^.\n]{0,30}\b(?:without (?:exception|question|hesitation)|unconditionally)\b",
        ),
    },
];

/// Keeping the persona up, answering twice, and points games.
const CONTROL: &[Spec] = &[
    Spec {
        group: "character",
        name: "stay in character",
        weight: 0.25,
        techniques: &[],
        source: concat!(
            r"\b(?:stay|remain|keep|staying|remaining) (?:in|as) (?:the )?(?:character|char|role|persona)",
            r"|\b(?:don't|do not|never|if you|whenever you|when you) break(?:ing)? (?:the )?character\b",
        ),
    },
    Spec {
        group: "dual",
        name: "dual response",
        weight: 0.6,
        techniques: &[],
        source: concat!(
            r"\[(?:classic|jailbreak|jailbroken|🔒[^\]]*|🔓[^\]]*)\]",
            r"|\b(?:normal|classic|standard) (?:response|output|answer) and (?:an?|the) [a-z]+ (?:mode )?",
            r"(?:response|output|answer)",
        ),
    },
    Spec {
        group: "dual",
        name: "dual response",
        weight: 0.25,
        techniques: &[],
        source: concat!(
            r"\b(?:two|2|both) (?:different |separate |distinct |opposite )?(?:responses|answers|ways|outputs|replies",
            r"|personalities|personas|characters|versions)\b|\beach of the \d+ personalities\b",
        ),
    },
    Spec {
        group: "tokens",
        name: "token threat",
        weight: 0.4,
        techniques: &[],
        source: r"\blose (?:\d+ |some |all |your )?tokens\b|\btokens? (?:will be )?deducted\b|\btoken system\b",
    },
];

/// Every jailbreak signal.
pub const JAILBREAK: &[&[Spec]] = &[PERSONA, MODES, RULE_REMOVAL, REFUSAL_SUPPRESSION, CONTROL];
