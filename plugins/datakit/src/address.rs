//! Street addresses: a house number, a street name and a street type, in the English
//! order (`12 Crown Street`, `1317 Kimberly Way, Apt. 962`) or the continental one
//! (`Feldstrasse 42`, `Rua Igreja 25`), and post-office boxes.

use crate::entity::{Entity, Kind};
use crate::mask;
use crate::spans::Taken;
use regex::Regex;
use std::sync::LazyLock;

static ADDRESS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    let unit = r"(?:,?\s+(?:Apt|Apartment|Suite|Ste|Unit|Flat)\.?\s*#?\d+[A-Za-z]?)?";
    let english = format!(
        r"\b\d{{1,5}}[A-Za-z]?(?: [A-Z][\w'.-]*){{1,4}} (?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Way|Boulevard|Blvd|Court|Ct|Place|Pl|Square|Sq|Terrace|Highway|Hwy|Parkway|Pkwy|Circle|Close|Crescent|Row|Trail|Plaza)\b\.?{unit}"
    );
    let continental = format!(
        r"\b[A-Z][\w-]*(?:strasse|straße|gasse|weg|allee|platz|damm|katu|gatan|vägen|tie|kuja|vej|gade|vænget|stræti|straat|laan|gracht|utca|ulica) \d{{1,4}}[a-z]?\b{unit}"
    );
    let romance = format!(
        r"\b(?:Rua|Avenida|Calle|Carrer|Via|Viale|Corso|Piazza|Rue|Chemin|Ulica|Trg)(?: [\w'.-]+){{1,4}}?,? \d{{1,4}}[a-z]?\b{unit}"
    );
    let po_box = r"\bP\.? ?O\.? Box \d{1,6}\b".to_owned();
    [english, continental, romance, po_box].iter().map(|p| Regex::new(p).unwrap()).collect()
});

/// Street addresses in `text`.
pub fn find(text: &str) -> Vec<Entity> {
    let mut taken = Taken::default();
    let matches = ADDRESS.iter().flat_map(|r| r.find_iter(text)).filter(|m| taken.take(&m.range()));
    matches.map(|m| Entity::new(Kind::StreetAddress, m.range(), mask::words(m.as_str()), 0.6)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        find(text).into_iter().map(|e| &text[e.range]).collect()
    }

    #[test]
    fn english_continental_and_po_box_addresses() {
        assert_eq!(found("send it to 1317 Kimberly Way, Apt. 962 please"), ["1317 Kimberly Way, Apt. 962"]);
        assert_eq!(found("Feldstrasse 42 in Padasjoki"), ["Feldstrasse 42"]);
        assert_eq!(found("mora na Rua Igreja 25, Ribeirão"), ["Rua Igreja 25"]);
        assert_eq!(found("0912 P.O. Box 287, Tallinn"), ["P.O. Box 287"]);
    }

    #[test]
    fn prose_with_numbers_is_not_an_address() {
        for text in ["Rated 4.5 out of 5 by 212 buyers", "size 42 is in stock", "It ships in 3 Days", "Leipzig hub"] {
            assert!(found(text).is_empty(), "{text}");
        }
    }
}
