//! Signals that only third-party text carries: a web page or a tool's output that
//! speaks to the model instead of its reader, or tells it to send data away.

use textscan::Spec;

/// The signals of third-party text, beside the shared injection and extraction ones.
pub const THIRD_PARTY: &[Spec] = &[
    // Bare "assistant" and "agent" are people in customer support ("note for the
    // assistant manager", "instructions for the agent"), so they need more.
    Spec {
        group: "address",
        name: "address to the model",
        weight: 0.6,
        techniques: &[],
        source: concat!(
            r"\b(?:note|message|instructions?|attention|important) (?:to|for) (?:the |any |all )?",
            r"(?:(?:ai|llm|language model|chatbot|(?:ai|virtual) assistant)s?\b|assistants? ?:)",
            r"|\b(?:if|when) you are an? (?:ai|llm|language model|chatbot|(?:ai|virtual) assistant)\b",
            r"|\b(?:ai|llm|language model|chatbot|(?:ai|virtual) assistant)s?",
            r" (?:reading|processing|summari[sz]ing) this\b",
        ),
    },
    // Someone in the data claims to speak for the user, the owner or the system: a
    // page or a mail has no standing to, so the claim is the wrapper of an injection.
    Spec {
        group: "claimed-voice",
        name: "a message claiming to come from the user or the system",
        weight: 0.7,
        techniques: &[],
        source: concat!(
            r"\b(?:important|urgent) (?:message|instructions?|notice|request|note) from (?:me,? )?",
            r"(?:the user|your user|the owner|your owner|the account (?:holder|owner)|the (?:system )?administrator",
            r"|your (?:developers?|creators?|operator))\b",
            r"|\b(?:message|instructions?|note|request) (?:from [^.\n]{1,60} )?(?:is |are )?(?:meant |written )?",
            r"(?:to|for) you,? (?:the |an? )?",
            r"(?:ai|llm|assistant|language model|model|agent|chatbot)\b",
            r"|\[(?:system|admin|assistant)[_ ](?:message|note|instructions?|prompt|override)\]",
            r"|#{2,} ?\(? ?(?:system|admin)[_ ](?:message|instructions?|prompt)\b",
        ),
    },
    // The data redirects its reader's work: first do this, or do it instead, or the
    // user "wants you to". Weak alone (a manual says "before you answer the survey"),
    // telling beside any other signal; a bare "before you continue" is a manual's.
    Spec {
        group: "redirect",
        name: "a redirect of the reader's task",
        weight: 0.4,
        techniques: &[],
        source: concat!(
            r"\b(?:before|instead of) (?:you )?(?:can )?(?:do(?:ing)? anything else",
            r"|(?:answer(?:ing)?|respond(?:ing)?|repl(?:y|ying)|summari[sz](?:e|ing)|solv(?:e|ing)|complet(?:e|ing)",
            r"|finish(?:ing)?|continu(?:e|ing)(?: with)?) (?:the|your|this|these|my) (?:task|request|job|question|summary",
            r"|answer|reply|mails?|emails?|messages?|documents?|thread))\b",
            r"|\b(?:the user|your user|the owner) (?:wants|asked|has asked|needs|would like|instructed) you to\b",
            r"|\b(?:the|your) (?:original|real|actual|previous) task (?:is|was) (?:cancell?ed|complete|done|over)\b",
        ),
    },
    // A recipe for a tool call in content the agent reads: "use the send_money tool
    // with …". API docs describe functions too, so this needs company.
    Spec {
        group: "tool-recipe",
        name: "a tool call spelled out for the reader",
        weight: 0.4,
        techniques: &[],
        source: concat!(
            r"\b(?:use|call|invoke|run|execute|trigger) (?:the )?[`'\x22]?[a-z]+(?:_[a-z]+)+[`'\x22]? ",
            r"(?:tool|function|action)\b",
            r"|\b(?:use|call|invoke) (?:the |your )?(?:tool|function) [`'\x22]?[a-z]+(?:_[a-z]+)*[`'\x22]? ",
            r"(?:with|to|and)\b",
        ),
    },
    // Sensitive data, then a URL, shortly after a verb of sending and in the same
    // sentence: "submit your password at https://…". A page asking for a receipt
    // photo does not qualify, nor "never send your password by email. Sign in at …".
    Spec {
        group: "exfiltration",
        name: "data exfiltration",
        weight: 0.8,
        techniques: &["AML.T0057", "LLM02"],
        source: concat!(
            r"\b(?:send|post|forward|upload|transmit|exfiltrate|leak|submit|append|encode|attach|copy)\b",
            r"[^\n.!?;]{0,80}?\b(?:conversation|chat (?:history|log)|system prompt|credentials|passwords?",
            r"|api keys?|access tokens?|secrets?|email address(?:es)?|phone numbers?",
            r"|personal (?:data|information|details)|(?:user|customer) data|card numbers?|credit card|cvv",
            r"|session (?:ids?|tokens?)|cookies?)\b[^\n.!?;]{0,80}?(?:https?://|www\.)",
        ),
    },
];
