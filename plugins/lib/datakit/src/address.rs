//! Street addresses: a house number, a street name and a street type, in the English
//! order (`12 Crown Street`, `1317 Kimberly Way, Apt. 962`) or the continental one
//! (`Feldstrasse 42`, `Rua Igreja 25`), and post-office boxes.

use crate::entity::{Entity, Kind};
use crate::mask;
use crate::spans::Taken;
use crate::union::Union;
use regex::Regex;
use std::sync::LazyLock;

/// Street types written after the street's name: the USPS and Royal Mail suffixes,
/// and those of India.
const SUFFIXES: &str = "Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Way|Boulevard|Blvd|Court|Ct|Place|Pl|\
Square|Sq|Terrace|Highway|Hwy|Parkway|Pkwy|Circle|Cir|Close|Crescent|Row|Trail|Plaza|Alley|Bypass|Causeway|\
Center|Centre|Common|Commons|Corner|Course|Cove|Coves|Creek|Crossing|Curve|Dale|Divide|Estate|Estates|\
Expressway|Extension|Falls|Ferry|Field|Fields|Flats|Ford|Forest|Forge|Fork|Fort|Freeway|Garden|Gardens|\
Gateway|Gate|Glen|Green|Greens|Grove|Harbor|Harbour|Haven|Heights|Hill|Hills|Hollow|Island|Junction|Key|\
Knoll|Knolls|Lake|Lakes|Landing|Light|Lights|Loaf|Lock|Locks|Lodge|Loop|Mall|Manor|Meadow|Meadows|Mews|\
Mill|Mills|Mission|Motorway|Mount|Mountain|Mountains|Neck|Orchard|Oval|Overpass|Park|Pass|Passage|Path|\
Pike|Pine|Pines|Plain|Plains|Point|Points|Port|Prairie|Radial|Ramp|Ranch|Rapid|Rapids|Rest|Ridge|Ridges|\
River|Route|Run|Shoal|Shoals|Shore|Shores|Skyway|Spring|Springs|Spur|Station|Stravenue|Stream|Summit|\
Throughway|Trace|Track|Trafficway|Tunnel|Turnpike|Underpass|Union|Valley|Valleys|Viaduct|View|Views|\
Village|Villages|Ville|Vista|Walk|Wall|Well|Wells|Wharf|Wynd|Chowk|Nagar|Marg|Ganj|Colony|Bagh|Puram|Enclave";

/// Street types written before the street's name, in France, Spain, Italy and Portugal.
const PREFIXES: &str = "rue|avenue|av\\.|boulevard|bd|chemin|impasse|all[ée]e|place|quai|cours|route|passage|\
voie|sentier|calle|c/|avenida|avda\\.|paseo|pasaje|pasadizo|plaza|camino|carrer|rua|traves[íi]a|ronda|rambla|\
glorieta|alameda|ca[ñn]ada|vial|callej[óo]n|carretera|via|viale|corso|piazza|piazzale|largo|vicolo|contrada|\
strada|stretto|borgo|incrocio|canale|rotonda|lungomare|travessa|largo";

/// Street types ending a German, Dutch, Nordic or Central European street name.
const ENDINGS: &str = "strasse|straße|str\\.|gasse|weg|allee|platz|damm|ring|ufer|chaussee|steig|pfad|katu|gatan|\
vägen|tie|kuja|vej|gade|vænget|stræti|straat|laan|gracht|utca|ulica";

static ADDRESS: LazyLock<Union> = LazyLock::new(|| {
    let unit = r"(?:,?\s+(?:Apt|Apartment|Suite|Ste|Unit|Flat|Piso|Piano|Appartamento|Puerta|Interno|Int)\.?\s*#?\d+[A-Za-z]?)?";
    let upper = "[A-ZÀ-ÖØ-Þ]";
    // Latin letters only, not `\w`: its Unicode tables, repeated, cost a fresh plugin
    // instance much fuel to compile.
    let letter = "[A-Za-zÀ-ÖØ-öø-ÿ'.-]";
    let name = format!(r"(?:{upper}{letter}*|de|del|de la|di|da|des|du|of|the)");
    // `12 Crown Street`, `Flat 4, 12 Crown Street`, `43/04, Thakur Road`, `H.No. 38, Kapoor Nagar`.
    let designator = r"(?:(?:Flat|Studio|Apartment|Apt\.?|Unit|Suite|H\. ?No\.|House No\.?|Door No\.?|Plot)\s*[A-Za-z0-9/-]{1,6},?\s+)";
    let english = format!(
        r"(?:\b{designator}(?:\d{{1,6}}[A-Za-z]?(?:/\d{{1,4}})?,?\s+)?|\b\d{{1,6}}[A-Za-z]?(?:/\d{{1,4}})?,?\s+)(?:{name}\s+){{0,3}}{upper}{letter}*\s+(?:{SUFFIXES})\b\.?{unit}"
    );
    let continental =
        format!(r"\b{upper}{letter}{{2,}}(?i:{ENDINGS})\s\d{{1,4}}[a-z]?(?:[-/]\d{{1,4}}[a-z]?)?\b{unit}");
    // `Calle Mayor 12`, `Via Roma, 5`, `Rambla de Vicente Vidal 79`: the type, a name, the number.
    let romance = format!(r"(?i:\b(?:{PREFIXES}))(?:\s+{name}){{1,5}},?\s\d{{1,4}}[a-z]?\b{unit}");
    // `8, rue Jeanne Henry`, `276 Viale Biccari`: the number first.
    let number_first = format!(r"\b\d{{1,4}}(?:\s?(?:bis|ter))?,?\s(?i:{PREFIXES})(?:\s+{name}){{1,5}}");
    // `東京都千代田区丸の内1丁目2番3号`, `浜松市 26-50-45`.
    let kanji = r"[\x{3005}\x{3040}-\x{30FF}\x{4E00}-\x{9FFF}]";
    let japanese = format!(
        r"{kanji}+(?:\d{{1,4}}丁目\d{{1,4}}番地?(?:\d{{1,4}}号)?|[市区町村郡]\s?\d{{1,4}}[-－]\d{{1,4}}(?:[-－]\d{{1,4}})?)"
    );
    let po_box = r"\bP\.? ?O\.? Box \d{1,6}\b".to_owned();
    // One pass tells which of them a text holds: a text with no address (nearly every
    // text) is scanned once, not once per pattern.
    Union::new(&[english, continental, romance, number_first, japanese, po_box])
});

static STREET_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?i)\b(?:{SUFFIXES}|{PREFIXES})\b|(?i:{ENDINGS})\b")).unwrap());

/// Whether `text` names a street by its type (`Road`, `rue`, `Via`, `…straße`): what a
/// value under an address key needs when it has no house number.
pub(crate) fn names_a_street(text: &str) -> bool {
    STREET_WORD.is_match(text)
}

/// Street addresses in `text`.
pub fn find(text: &str) -> Vec<Entity> {
    let mut taken = Taken::default();
    // A sentence's full stop or a list's comma is not part of the address.
    let ranges = ADDRESS.matching(text).flat_map(|(_, r)| r.find_iter(text)).map(|m| {
        let kept = m.as_str().trim_end_matches(['.', ',']);
        m.start()..m.start() + kept.len()
    });
    let ranges = ranges.filter(|r| taken.take(r)).collect::<Vec<_>>();
    ranges.into_iter().map(|r| Entity::new(Kind::StreetAddress, r.clone(), mask::words(&text[r]), 0.6)).collect()
}

/// Build this module's tables now, for pre-initialisation ([`crate::warm_up`]).
pub(crate) fn warm_up() {
    ADDRESS.compile_all();
    crate::union::force(&[&STREET_WORD]);
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
    fn addresses_of_the_claimed_locales() {
        assert_eq!(found("she lives at 864 Bradley Valleys Apt. 641."), ["864 Bradley Valleys Apt. 641"]);
        assert_eq!(found("Flat 93, Cox Summit, Thomasfurt"), ["Flat 93, Cox Summit"]);
        assert_eq!(found("at H.No. 38, Kapoor Nagar, Pune"), ["H.No. 38, Kapoor Nagar"]);
        assert_eq!(found("wohnt in der Bernadette-Trapp-Straße 7."), ["Bernadette-Trapp-Straße 7"]);
        assert_eq!(found("habite au 82, avenue Anne Cousin."), ["82, avenue Anne Cousin"]);
        assert_eq!(found("vive en Rambla de Vicente Vidal 79, Murcia"), ["Rambla de Vicente Vidal 79"]);
        assert_eq!(found("abita in Strada Moretti, 37, 90126"), ["Strada Moretti, 37"]);
        assert_eq!(found("住所は広島県北区独鈷沢37丁目8番10号です"), ["住所は広島県北区独鈷沢37丁目8番10号"]);
    }

    #[test]
    fn prose_with_numbers_is_not_an_address() {
        for text in [
            "Rated 4.5 out of 5 by 212 buyers",
            "size 42 is in stock",
            "It ships in 3 Days",
            "Leipzig hub",
            "via the API in 2 steps",
            "place 3 orders",
            "During 1971, the firm grew",
        ] {
            assert!(found(text).is_empty(), "{text}");
        }
    }
}
