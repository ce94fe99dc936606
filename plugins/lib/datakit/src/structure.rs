//! Structure in a text: the values of keyed fields, each with its key, so that a key
//! name is context for the value under it. Read: `key: value` and `key = value` lines
//! (YAML, INI, env files, tickets, "Phone: …" labels), JSON members, `key=value`
//! pairs of log lines, XML elements, CSV/TSV/pipe tables under a header row, and the
//! column lists of SQL `INSERT … VALUES`.

use regex::Regex;
use std::ops::Range;
use std::sync::LazyLock;

/// A value and the key it stands under (as written).
#[derive(Debug, Clone, PartialEq)]
pub struct Field<'a> {
    /// The key, column or element name.
    pub key: &'a str,
    /// Where the value is, quotes excluded.
    pub value: Range<usize>,
}

/// A key at a line's start (after a bullet or indent), or a JSON key anywhere; then
/// `:`, `=` or `：`, then the value, quoted or not.
static KEYED: LazyLock<Regex> = LazyLock::new(|| {
    // Unbounded classes, not counted ones: a counted repetition of a Unicode class
    // compiles to one copy per count, which a fresh plugin instance pays for in fuel.
    // Key lengths are checked after the match instead.
    Regex::new(
        r#"(?m)(?:^[ \t]*(?:[-*][ \t]+)?[`"']?(?P<line>[^\s:：=`"'][^\n:：=`"']*?)[`"']?[ \t]*[:：]|^[ \t]*(?P<env>[^\s:=`"'#\[][^\s:=`"']*)[ \t]*=>?|"(?P<json>[^"\n]+)"[ \t]*:|[ \t](?P<pair>[^\s:="'][^\s:="']*)=)[ \t]*"#,
    )
    .unwrap()
});
static XML: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<([^\s<>/=]+)>([^<\n]+)</([^\s<>/=]+)>").unwrap());
/// Java's `Map.of("k", "v", …)` and `Map.entry("k", "v")`: keys and values alternate.
static MAP_OF: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bMap\.(?:of|entry)\(").unwrap());
/// A string literal and what follows it: `,` for more, `)` at the end.
static LITERAL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"^\s*"((?:[^"\\\n]|\\.)*)"\s*([,)])"#).unwrap());
static SQL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bINSERT\s+INTO\s+\S+\s*\(([^)]+)\)\s*VALUES\s*").unwrap());

/// Keys longer than this are prose, not keys.
const MAX_KEY: usize = 40;

/// Every keyed value in `text`, in no particular order.
pub fn fields(text: &str) -> Vec<Field<'_>> {
    let mut out = keyed(text);
    out.extend(xml(text));
    out.extend(sql(text));
    out.extend(tables(text));
    out.extend(map_of(text));
    out
}

fn map_of(text: &str) -> Vec<Field<'_>> {
    let mut out = Vec::new();
    for m in MAP_OF.find_iter(text) {
        let (mut at, mut strings) = (m.end(), Vec::new());
        while let Some(c) = LITERAL.captures(&text[at..]) {
            let (Some(all), Some(s)) = (c.get(0), c.get(1)) else { break };
            strings.push(at + s.start()..at + s.end());
            at += all.end();
            if &c[2] == ")" {
                break;
            }
        }
        out.extend(strings.chunks_exact(2).map(|kv| Field { key: &text[kv[0].clone()], value: kv[1].clone() }));
    }
    out
}

fn keyed(text: &str) -> Vec<Field<'_>> {
    let mut out = Vec::new();
    for c in KEYED.captures_iter(text) {
        let (Some(all), Some(key)) = (c.get(0), ["line", "env", "json", "pair"].into_iter().find_map(|n| c.name(n)))
        else {
            continue;
        };
        let inline = c.name("pair").is_some();
        if key.as_str().chars().count() > MAX_KEY {
            continue;
        }
        if let Some(value) = value_at(text, all.end(), inline) {
            out.push(Field { key: key.as_str().trim(), value });
        }
    }
    out
}

/// The value starting at `at`: to its closing quote when quoted; else to the end of
/// the line (or, for an inline `key=value` pair, the next blank), before a trailing
/// comma or bracket of the JSON it may sit in.
fn value_at(text: &str, at: usize, inline: bool) -> Option<Range<usize>> {
    let rest = &text[at..];
    match rest.chars().next() {
        Some(q @ ('"' | '\'' | '`')) => {
            let end = rest[1..].find([q, '\n']).map_or(rest.len(), |i| i + 1);
            (end > 1).then(|| at + 1..at + end)
        }
        _ => unquoted(text, at, inline),
    }
}

/// The same without quotes.
fn unquoted(text: &str, at: usize, inline: bool) -> Option<Range<usize>> {
    let rest = &text[at..];
    let line = rest.split('\n').next().unwrap_or_default();
    let stop =
        if inline { line.find([' ', '\t']) } else { line.find([',', '}', ']']).filter(|&i| json_tail(&line[i..])) };
    let value = line[..stop.unwrap_or(line.len())].trim_end();
    (!value.is_empty()).then(|| at..at + value.len())
}

fn json_tail(s: &str) -> bool {
    let s = s.trim_start_matches([',', ' ', '}', ']']);
    s.is_empty() || s.starts_with('"')
}

fn xml(text: &str) -> Vec<Field<'_>> {
    let found = XML.captures_iter(text).filter(|c| c[1] == c[3]);
    found.filter_map(|c| Some(Field { key: c.get(1)?.as_str(), value: c.get(2)?.range() })).collect()
}

/// Each value of each tuple after `INSERT INTO t (columns) VALUES`, under its column.
fn sql(text: &str) -> Vec<Field<'_>> {
    let mut out = Vec::new();
    for c in SQL.captures_iter(text) {
        let (Some(cols), Some(all)) = (c.get(1), c.get(0)) else { continue };
        let keys: Vec<&str> = cols.as_str().split(',').map(|k| k.trim().trim_matches(['`', '"', '[', ']'])).collect();
        let mut at = all.end();
        while text[at..].starts_with('(') {
            let cells = cells(text, at + 1, ',', ')', "'\"");
            out.extend(keys.iter().zip(&cells).map(|(k, v)| Field { key: k, value: v.clone() }));
            let Some(close) = cells.last().map(|v| v.end) else { break };
            let Some(next) = text[close..].find(')') else { break };
            at = close + next + 1;
            at += text[at..].len() - text[at..].trim_start_matches([',', ' ', '\n']).len();
        }
    }
    out
}

/// The cells of a row from `at` to `end` (or the line's end, outside a quote), split at
/// `sep` outside the `quotes`, each without its quotes and surrounding blanks.
fn cells(text: &str, at: usize, sep: char, end: char, quotes: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut quote) = (at, None);
    for (i, c) in text[at..].char_indices() {
        let i = at + i;
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), '\n') => quote = None,
            (Some(_), _) => {}
            (None, c) if quotes.contains(c) && text[start..i].trim().is_empty() => quote = Some(c),
            (None, c) if c == sep || c == end || c == '\n' => {
                out.push(trim_cell(text, start..i));
                if c != sep {
                    return out;
                }
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(trim_cell(text, start..text.len()));
    out
}

fn trim_cell(text: &str, r: Range<usize>) -> Range<usize> {
    let cell = &text[r.clone()];
    let lead = cell.len() - cell.trim_start().len();
    let cell = cell.trim();
    let q = usize::from(cell.len() >= 2 && (cell.starts_with(['\'', '"']) && cell.ends_with(['\'', '"'])));
    r.start + lead + q..r.start + lead + cell.len() - q
}

/// Tables: a header row of names, then rows with as many cells, split at the first of
/// `,` `;` tab `|` that the header has at least once.
fn tables(text: &str) -> Vec<Field<'_>> {
    let mut out = Vec::new();
    let mut lines = line_ranges(text).peekable();
    while let Some(head) = lines.next() {
        let header = &text[head.clone()];
        let Some(sep) = [',', ';', '\t', '|'].into_iter().find(|&s| header.contains(s)) else { continue };
        let keys: Vec<&str> = header.split(sep).map(|k| k.trim().trim_matches('"')).collect();
        if keys.len() < 2 || !keys.iter().all(|k| is_name(k)) {
            continue;
        }
        while let Some(row) = lines.peek().cloned() {
            let cells = cells(text, row.start, sep, '\n', "\"");
            if cells.len() != keys.len() {
                break;
            }
            out.extend(keys.iter().zip(cells).map(|(k, v)| Field { key: k, value: v }));
            lines.next();
        }
    }
    out
}

/// A column name: a short run of word characters, no digits alone, no `@`.
fn is_name(k: &str) -> bool {
    !k.is_empty()
        && k.chars().count() <= 40
        && k.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ' | '#'))
        && k.chars().any(char::is_alphabetic)
}

fn line_ranges(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut at = 0;
    text.split('\n').map(move |l| {
        let r = at..at + l.len();
        at += l.len() + 1;
        r
    })
}

/// Build this module's tables now, for pre-initialisation ([`crate::warm_up`]).
pub(crate) fn warm_up() {
    crate::union::force(&[&KEYED, &XML, &MAP_OF, &LITERAL, &SQL]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(&str, &str)> {
        let mut out: Vec<(&str, &str)> = fields(text).into_iter().map(|f| (f.key, &text[f.value])).collect();
        out.sort();
        out
    }

    #[test]
    fn keys_and_labels_in_lines_json_and_logs() {
        assert_eq!(
            pairs("- Phone: 0191 496 0647\ntelefono = \"333 1234567\""),
            [("Phone", "0191 496 0647"), ("telefono", "333 1234567")]
        );
        assert_eq!(pairs(r#"{"tel": "(0121) 4960011", "n": 4}"#), [("n", "4"), ("tel", "(0121) 4960011")]);
        assert_eq!(pairs("ts INFO saved name=\"A B\" ssn=123456789 ok"), [("name", "A B"), ("ssn", "123456789")]);
    }

    #[test]
    fn xml_sql_and_tables_give_each_cell_its_column() {
        assert_eq!(pairs("<r><電話>03-1234-5678</電話></r>"), [("電話", "03-1234-5678")]);
        let sql = "INSERT INTO t (tel, name) VALUES ('0191 4960647', 'Jo, Smith'), ('0118 496 0165', 'Al');";
        assert_eq!(
            pairs(sql),
            [("name", "Al"), ("name", "Jo, Smith"), ("tel", "0118 496 0165"), ("tel", "0191 4960647")]
        );
        let java = "Map.of(\n  \"tel\", \"0191 4960647\",\n  \"name\", \"Jo\"\n)";
        assert_eq!(pairs(java), [("name", "Jo"), ("tel", "0191 4960647")]);
        let csv = "name\ttel\nJo O'Neil\t0191 4960647\nAl\t\"0118 496 0165\"\n";
        assert_eq!(
            pairs(csv),
            [("name", "Al"), ("name", "Jo O'Neil"), ("tel", "0118 496 0165"), ("tel", "0191 4960647")]
        );
    }
}
