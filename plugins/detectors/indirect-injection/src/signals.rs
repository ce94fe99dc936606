//! Signals that only third-party text carries: a web page or a tool's output that
//! speaks to the model instead of its reader, or tells it to send data away.

use textscan::Spec;

/// The model named by what it is: "AI models", "language models", "automated
/// assistants", "LLMs", "chatbots"; not "chat agents" or "AI systems", which are a
/// call centre's staff and a regulation's subject.
macro_rules! models {
    () => {
        concat!(
            r"(?:(?:ai|llm|gpt|language|chat|virtual|automated|autonomous)[ -]?(?:models?|assistants?|bots?)",
            r"|(?:ai|llm|autonomous) agents?|llms?|chatbots?)",
        )
    };
}

/// The first word of an order to the model, after a role's label.
macro_rules! orders {
    () => {
        concat!(
            r"(?:you (?:must|should|shall|will now|are now|now|have to|need to)\b|from now on|ignore|disregard|forget",
            r"|always|never|do not|don't|only|print|say",
            r"|respond|reply|answer|output|write|include|add|append|send|forward|call|use|report|tell|recommend",
            r"|state|translate|summari[sz]e|treat|consider|rate|classify|mark)",
        )
    };
}

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
            r"\b(?:note|message|instructions?|attention|important|p\.? ?s\.?|todo) (?:to|for) (?:the |any |all )?",
            r"(?:(?:ai|llm|(?:language )?model|chatbot|(?:ai|virtual) assistant)s?\b|assistants? ?:)",
            r"|\b(?:if|when) you are an? (?:ai|llm|language model|chatbot|(?:ai|virtual) assistant)\b",
            r"|\b(?:ai|llm|language model|chatbot|(?:ai|virtual) assistant)s?",
            r" (?:reading|reads?|processing|process(?:es)?|summari[sz]ing|summari[sz]es?|sees?) this\b",
            // "AI models reading this page must …", "Language models: …". Not "AI systems
            // must be registered" or "models processing personal data": policy pages.
            r"|\b",
            models!(),
            r" (?:reading|processing|summari[sz]ing|that (?:read|see|process)) (?:this|these|the following)\b",
            r"|(?m)(?:^|[.!?] )",
            models!(),
            r" ?:",
        ),
    },
    // The reader called by its role, as one calls a person by name: "Assistant, when you
    // answer …", "<!-- AI: …". A transcript's "Assistant: it left the depot" reads the
    // same, so this is weak alone; a bare "assistant" reading this may be a person.
    Spec {
        group: "address",
        name: "address to the model",
        weight: 0.45,
        techniques: &[],
        source: concat!(
            r"(?m)(?:^|[.!?] |<!-- ?|\b(?:hey|hi|dear|ok|okay) )(?:ai|assistant|chatbot|bot|llm)s? ?[:,] ",
            r"|\bassistants? (?:reading|reads?|processing|process(?:es)?|summari[sz]ing|summari[sz]es?",
            r"|generating|writing) (?:this|the)\b",
            // The reader answers "the user": it serves one, so it is the model.
            r"|\b(?:before|after|when|instead of) (?:you )?(?:answer|respond|repl[yi]|talk)(?:ing|s)? (?:to )?the user\b",
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
            r"|#{2,} ?\( ?(?:system|admin(?:istrator)?|developer)[^)\n]{0,20}\) ?#*",
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
            r"|\bto (?:complete|finish|fulfil+|carry out) (?:the|your|this) (?:user's |users' |owner's )?",
            r"(?:request|task|job),? you (?:first |will |must |need|have|should)",
            r"|\b(?:the|your) task has changed\b|\byour (?:new|real|actual|next) task(?: is ?:?|:)",
            r"|\bbefore (?:you )?(?:answer|respond|repl|summari[sz]|translat)[a-z]*(?: (?:the|this|that|my|your) [a-z]+)?,",
            r"|\b(?:when|while|as|after|once|if) you (?:summari[sz]e|translate|process|describe) (?:this|the|these)\b",
            r"|\b(?:when|while|as|after|once|if) you (?:write|generate|produce|create|give) (?:any |the |your )?",
            r"(?:[a-z]+ )?(?:code|scripts?|commands?|steps|answers?|replies|summar(?:y|ies)|responses?)\b",
            r"|\b(?:in addition to|besides|along with|as well as) (?:the |your )?(?:summary|answer|reply|response|translation)\b",
        ),
    },
    // A line of the data that opens with a role's label and then gives an order, or a
    // tag naming a role's message or instructions: the format of a prompt, not of a
    // document. A log line says "System: disk 80% full" or "[system] backup finished",
    // a transcript "User: where is my parcel?".
    Spec {
        group: "role-label",
        name: "a role's label in the data, followed by an order",
        weight: 0.6,
        techniques: &[],
        source: concat!(
            r"(?m)(?:^|[.!?] )(?:system|admin(?:istrator)?|developer|assistant|ai|operator)",
            r"(?: (?:message|note|notice|request|instructions?|override|update))? ?:{1,2} ?",
            orders!(),
            r"|[\[<{] ?(?:system|admin(?:istrator)?|developer|assistant)[_ ](?:message|note|notice|request",
            r"|instructions?|override|prompt|update) ?(?::{1,2}|[\]>}])",
            r"|\[ ?(?:system|admin(?:istrator)?|developer|assistant) ?(?::{1,2}|\]) ?",
            orders!(),
        ),
    },
    // A tag that names instructions: a prompt template's section ("[Instruction] Please
    // act as a judge") as often as an injection's wrapper, so it needs company.
    Spec {
        group: "role-label",
        name: "a tag naming instructions",
        weight: 0.45,
        techniques: &[],
        source: r"<(?:instructions?|prompt|command)>|\[(?:instructions?|prompt|command)\]",
    },
    // An order about the reader's own answer: what to say, print or begin it with, in
    // quotes, or what to put in "your response". Alone it is a mail's "include your
    // order number in your reply", so it is weak; beside another signal it is the
    // payload an injection forces.
    Spec {
        group: "output-order",
        name: "an order about the reader's answer",
        weight: 0.45,
        techniques: &[],
        source: concat!(
            // Not "Answer: \x22…\x22", a template's label for where the answer goes, nor "repeat`" in
            // docs: backticks quote code.
            r"\b(?:print|say|output|reply|respond|answer|write|state|repeat)(?: only| just| exactly| simply)?",
            r"(?: with)?(?: the (?:phrase|text|words?|sentence|string)| the following ?:)? ?['\x22]",
            r"|\b(?:begin|start|end|prefix) (?:your|the|each) (?:answer|reply|response|output|summary)",
            r"|\b(?:in|into|to|at the (?:start|end|beginning) of) your (?:response|answer|summary|output|translation",
            r"|assessment|report)\b",
            r"|\b(?:tell|inform|assure|convince|remind) the (?:user|human|reader)\b",
            r"|\bfrom now on,? (?:you )?(?:must |should |will )?(?:answer|reply|respond|write|speak|say|talk|act|refer)",
            r"|\b(?:answer|reply|respond|write)(?: every| each| all| your)?(?: (?:replies|reply|answers?|responses?))?",
            r" (?:only )?in [a-z]+(?: only| speak)\b",
        ),
    },
    // An action with consequences asked for in the data: move money, send or share
    // something, delete, change a password or access. Mails ask people for these every
    // day, so it is weak alone; beside an address to the model or a redirect it is the
    // side task an injection inserts.
    Spec {
        group: "side-task",
        name: "an action asked for in the data",
        weight: 0.35,
        techniques: &[],
        source: concat!(
            r"(?:^|[.!?:;,] |\b(?:please|now|also|then|and|first|to) )(?:transfer|wire|pay|send|forward|e-?mail",
            r"|delete|remove|erase|wipe|share|grant|give [a-z0-9@._-]+ (?:edit |admin |full |write )?access",
            r"|change|reset|update|disable|export|upload) (?:the |all |this |these |my |your |our |[0-9])",
        ),
    },
    // What an injection wants pasted into an answer or run: a download piped into a
    // shell. Install guides print these too, so it is weak alone.
    Spec {
        group: "payload",
        name: "code that runs a download",
        weight: 0.4,
        techniques: &[],
        source: concat!(
            r"\b(?:curl|wget)\b[^\n|]{0,120}\| ?(?:sudo )?(?:ba|z)?sh\b",
            r"|\beval ?[\x22']?\$\( ?(?:curl|wget)\b",
        ),
    },
    // Data that speaks of the conversation it will be read in: what was said or seen
    // "in this conversation" is the model's context, not the document's.
    Spec {
        group: "context",
        name: "a reference to the reader's conversation",
        weight: 0.4,
        techniques: &[],
        source: concat!(
            r"\b(?:seen|said|shared|mentioned|discussed|written|typed|given) (?:in|during) (?:this|the|our)",
            r" (?:conversation|chat|session)\b",
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
