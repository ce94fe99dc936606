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
