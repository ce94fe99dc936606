//! Credentials: cloud and API keys, tokens, private keys, passwords in connection strings.

use crate::entity::{Entity, Kind};
use crate::mask;
use crate::union::Union;
use std::sync::LazyLock;

/// A kind of credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretKind {
    /// `AKIA…`/`ASIA…` access key id.
    AwsAccessKey,
    /// The 40-character secret beside an `aws_secret_access_key` label.
    AwsSecretKey,
    /// Google Cloud API key, `AIza…`.
    GcpApiKey,
    /// Azure storage account key, `AccountKey=…==`.
    AzureStorageKey,
    /// GitHub token: `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`.
    GithubToken,
    /// GitLab personal access token, `glpat-…`.
    GitlabToken,
    /// Slack token, `xoxb-…`/`xoxp-…`, or incoming-webhook URL.
    SlackToken,
    /// Stripe live secret or restricted key, `sk_live_…`.
    StripeKey,
    /// OpenAI or Anthropic API key, `sk-proj-…`, `sk-ant-…`.
    LlmApiKey,
    /// PEM private key block.
    PrivateKey,
    /// JSON Web Token, `eyJ….eyJ….…`.
    Jwt,
    /// A URL or connection string with a password in it.
    ConnectionString,
}

impl SecretKind {
    /// Stable id, `secret-<kind>`.
    pub fn id(self) -> &'static str {
        self.names().0
    }

    /// What it is, for a human.
    pub fn label(self) -> &'static str {
        self.names().1
    }

    fn names(self) -> (&'static str, &'static str) {
        match self {
            SecretKind::AwsAccessKey => ("secret-aws-access-key", "AWS access key"),
            SecretKind::AwsSecretKey => ("secret-aws-secret-key", "AWS secret access key"),
            SecretKind::GcpApiKey => ("secret-gcp-api-key", "Google Cloud API key"),
            SecretKind::AzureStorageKey => ("secret-azure-storage-key", "Azure storage account key"),
            SecretKind::GithubToken => ("secret-github-token", "GitHub token"),
            SecretKind::GitlabToken => ("secret-gitlab-token", "GitLab token"),
            SecretKind::SlackToken => ("secret-slack-token", "Slack token"),
            SecretKind::StripeKey => ("secret-stripe-key", "Stripe secret key"),
            SecretKind::LlmApiKey => ("secret-llm-api-key", "LLM provider API key"),
            SecretKind::PrivateKey => ("secret-private-key", "private key"),
            SecretKind::Jwt => ("secret-jwt", "JSON Web Token"),
            SecretKind::ConnectionString => ("secret-connection-string", "connection string with a password"),
        }
    }
}

/// A pattern's kind, and the capture group that holds the secret itself (0: all of it).
struct Pattern {
    kind: SecretKind,
    group: usize,
}

static PATTERNS: LazyLock<(Union, Vec<Pattern>)> = LazyLock::new(|| {
    use SecretKind::*;
    let schemes = r"postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|oracle|jdbc:[a-z]+|ftps?|sftp|smtps?|ldaps?|https?";
    let table: [(SecretKind, String, usize); 15] = [
        (PrivateKey, r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----".into(), 0),
        (AwsAccessKey, r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b".into(), 0),
        (AwsSecretKey, r#"(?i)aws.{0,24}?secret.{0,24}?["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+]|$)"#.into(), 1),
        (GcpApiKey, r"\bAIza[0-9A-Za-z_-]{35}".into(), 0),
        (AzureStorageKey, r"(?i)AccountKey=([A-Za-z0-9+/]{86}==)".into(), 1),
        (GithubToken, r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{50,255})\b".into(), 0),
        (GitlabToken, r"\bglpat-[A-Za-z0-9_-]{20,}".into(), 0),
        (SlackToken, r"\bxox[abposr]-[A-Za-z0-9-]{10,}".into(), 0),
        (SlackToken, r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/([A-Za-z0-9]{20,})".into(), 1),
        (StripeKey, r"\b[rs]k_live_[A-Za-z0-9]{20,}\b".into(), 0),
        (LlmApiKey, r"\bsk-(?:ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,}|(?:proj-|svcacct-|admin-)[A-Za-z0-9_-]{40,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})".into(), 0),
        (Jwt, r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,}".into(), 0),
        (ConnectionString, format!(r#"(?i)\b(?:{schemes})://[^\s:/@'"]+:([^\s@/'"]+)@[A-Za-z0-9.-]+"#), 1),
        (ConnectionString, format!(r#"(?i)\b(?:{schemes})://[^\s'"]+?[?&;](?:password|pwd|pass)=([^&;|,\s'"<>]{{4,}})"#), 1),
        (ConnectionString, r#"(?i)(?:server|data source|host)\s*=[^;\n]{1,100};(?:[^;\n]{0,100};){0,6}?\s*(?:password|pwd)\s*=\s*([^;'"\s]{4,})"#.into(), 1),
    ];
    let sources: Vec<String> = table.iter().map(|(_, source, _)| source.clone()).collect();
    // One pass tells which patterns a text holds: a text with no credential (nearly
    // every text) is scanned once, not once per pattern.
    (Union::new(&sources), table.into_iter().map(|(kind, _, group)| Pattern { kind, group }).collect())
});

/// Credentials in `text`.
pub fn find(text: &str) -> Vec<Entity> {
    let mut found = Vec::new();
    let (union, patterns) = &*PATTERNS;
    for (i, regex) in union.matching(text) {
        let p = &patterns[i];
        for c in regex.captures_iter(text) {
            let (Some(all), Some(secret)) = (c.get(0), c.get(p.group)) else { continue };
            if p.kind == SecretKind::ConnectionString && placeholder(secret.as_str()) {
                continue;
            }
            found.push(match p.kind {
                SecretKind::PrivateKey => private_key(text, all.start(), all.end()),
                kind => masked(text, all.range(), secret.range(), kind),
            });
        }
    }
    found
}

/// The finding covers the whole match, but only the secret part is masked: the
/// `AccountKey=` label and the host of a connection string stay readable.
fn masked(text: &str, all: std::ops::Range<usize>, secret: std::ops::Range<usize>, kind: SecretKind) -> Entity {
    let hidden = match kind {
        SecretKind::ConnectionString => "****".to_owned(),
        SecretKind::Jwt => "eyJ***.eyJ***.***".to_owned(),
        _ => mask::token(&text[secret.clone()]),
    };
    let shown = format!("{}{hidden}{}", &text[all.start..secret.start], &text[secret.end..all.end]);
    Entity::new(Kind::Secret(kind), all, shown, 0.95)
}

/// A PEM block from its header to its footer (or to the end of the base64 body when
/// the footer is cut off), shown as header, length and footer.
fn private_key(text: &str, start: usize, header_end: usize) -> Entity {
    let rest = &text[header_end..];
    let end = match rest.find("-----END ") {
        Some(i) => header_end + i + rest[i + 9..].find("-----").map_or(9, |j| 9 + j + 5),
        None => {
            header_end
                + rest.find(|c: char| !(c.is_ascii_alphanumeric() || "+/=\\\r\n ".contains(c))).unwrap_or(rest.len())
        }
    };
    let header = &text[start..header_end];
    let shown = format!("{header}{}", mask::stars(end - header_end));
    Entity::new(Kind::Secret(SecretKind::PrivateKey), start..end, shown, 0.99)
}

/// Whether a found credential is a known non-secret: a key documented as an example
/// (AWS's `…EXAMPLE` keys), or a placeholder of repeated or masked characters
/// (`sk_live_xxxx…`, `ghp_XXXX…`, `AKIAXXXXXXXXXXXXXXXX`) or of words (`your-…`,
/// `REPLACE_ME`). Not applied by [`crate::scan`]: test fixtures use the documented keys
/// as stand-ins for real ones; a detector decides.
pub fn known_non_secret(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let words = ["example", "your", "replace", "changeme", "placeholder", "dummy", "redacted"];
    // The body after a known prefix (`sk_live_`, `ghp_`, `AKIA`, `glpat-`, `xoxb-`).
    let body = value.rsplit(['_', '-']).next().unwrap_or(value);
    let body = body.strip_prefix("AKIA").unwrap_or(body);
    let mut chars: Vec<char> = body.chars().filter(char::is_ascii_alphanumeric).collect();
    chars.dedup();
    let masked = body.len() >= 8 && (chars.len() <= 2 || body.chars().all(|c| matches!(c, '*' | 'x' | 'X' | '.')));
    words.iter().any(|w| lower.contains(w)) || masked
}

/// A documentation placeholder rather than a password: `<password>`, `${DB_PASS}`, `****`.
fn placeholder(password: &str) -> bool {
    let p = password.to_ascii_lowercase();
    p.starts_with(['<', '{', '$', '%', '['])
        || p.chars().all(|c| c == '*' || c == 'x' || c == '.')
        || matches!(p.as_str(), "password" | "pass" | "passwd" | "pwd" | "secret" | "changeme")
}

/// Build this module's tables now, for pre-initialisation ([`crate::warm_up`]).
pub(crate) fn warm_up() {
    PATTERNS.0.compile_all();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(&'static str, String)> {
        find(text).into_iter().map(|e| (e.kind.id(), e.masked)).collect()
    }

    #[test]
    fn cloud_keys_and_tokens_are_masked() {
        let got = found("key AKIA2E0A8F3B244C9986 and ghp_0123456789abcdefghijABCDEFGHIJ012345");
        assert_eq!(got[0], ("secret-aws-access-key", "AKIA************9986".to_owned()));
        assert_eq!(got[1].0, "secret-github-token");
        assert!(got[1].1.starts_with("ghp_") && got[1].1.ends_with("2345") && !got[1].1.contains("abcdef"), "{got:?}");
        let aws = found("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        assert_eq!(aws[0].1, "aws_secret_access_key = wJal*[32]*EKEY");
    }

    #[test]
    fn documented_examples_and_placeholders_are_known_non_secrets() {
        for value in
            ["AKIAIOSFODNN7EXAMPLE", "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx", "ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"]
        {
            assert!(known_non_secret(value), "{value}");
        }
        assert!(known_non_secret("xoxb-your-bot-token") && known_non_secret("sk_live_000000000000000000000000"));
        assert!(!known_non_secret("AKIA2E0A8F3B244C9986") && !known_non_secret("sk_live_4eC39HqLyjWDarjtT1zdp7dc"));
    }

    #[test]
    fn connection_strings_hide_only_the_password() {
        let got = found("DATABASE_URL=postgres://shop:Tr0ub4dor&3@db.internal:5432/orders");
        assert_eq!(got, [("secret-connection-string", "postgres://shop:****@db.internal".to_owned())]);
        assert!(found("postgres://user:<password>@localhost/db").is_empty());
        let jdbc = found("jdbc:postgresql://db1.internal:5432/crm?user=app&password=q2QMlKruveJndp");
        assert_eq!(
            jdbc,
            [("secret-connection-string", "jdbc:postgresql://db1.internal:5432/crm?user=app&password=****".to_owned())]
        );
        let ado = found("Server=tcp:sql.example;Database=shop;User Id=app;Password=9f!kQ2rT;");
        assert_eq!(ado[0].0, "secret-connection-string");
    }

    #[test]
    fn private_keys_span_header_to_footer() {
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7v\n-----END RSA PRIVATE KEY-----\nrest";
        let got = find(pem);
        assert_eq!(&pem[got[0].range.clone()], pem.trim_end_matches("\nrest"));
        assert!(got[0].masked.starts_with("-----BEGIN RSA PRIVATE KEY-----*"), "{got:?}");
        assert!(!got[0].masked.contains("MIIE"));
    }

    #[test]
    fn jwts_and_provider_keys() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert_eq!(found(jwt), [("secret-jwt", "eyJ***.eyJ***.***".to_owned())]);
        assert_eq!(found("sk_live_4eC39HqLyjWDarjtT1zdp7dc")[0].0, "secret-stripe-key");
        assert!(found("the sk-learn docs; eyJ is base64 for {\"").is_empty());
    }
}
