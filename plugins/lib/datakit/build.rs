//! Compiles the phone numbering plans (`src/phone/metadata.rs`, libphonenumber's
//! patterns) to one dense DFA per region, serialised into `OUT_DIR`: the plugin then
//! reads them in place instead of compiling some 8 KB of regular expressions in wasm
//! on its first call.

use regex_automata::dfa::{StartKind, dense};
use regex_automata::{MatchKind, util::syntax};
use std::fmt::Write as _;
use std::path::PathBuf;

// Read here only in part: the matching lives in the library.
#[allow(dead_code)]
#[path = "src/phone/plan.rs"]
mod plan;

#[path = "src/phone/metadata.rs"]
mod metadata;

fn main() {
    println!("cargo:rerun-if-changed=src/phone/plan.rs");
    println!("cargo:rerun-if-changed=src/phone/metadata.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    let mut table = String::from("[\n");
    for region in metadata::REGIONS {
        let file = out.join(format!("phone-{}.dfa", region.id));
        std::fs::write(&file, compile(region)).unwrap();
        writeln!(table, "    &Aligned {{ _align: [], bytes: *include_bytes!({:?}) }},", file.display()).unwrap();
    }
    table.push(']');
    std::fs::write(out.join("phone_dfas.rs"), table).unwrap();
}

/// A region's patterns as one anchored DFA that reports every pattern matching.
fn compile(region: &plan::Region) -> Vec<u8> {
    let config = dense::Config::new().match_kind(MatchKind::All).start_kind(StartKind::Anchored).minimize(true);
    let dfa = dense::Builder::new()
        .configure(config)
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .build_many(&region.patterns())
        .unwrap_or_else(|e| panic!("the numbering plan of {} does not compile: {e}", region.id));
    let (bytes, pad) = dfa.to_bytes_little_endian();
    bytes[pad..].to_vec()
}
