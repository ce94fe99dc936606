//! The shape of a region's numbering plan, shared by the generated table
//! ([`super::metadata`]) and the build script that compiles it.

/// A region's numbering plan, as libphonenumber's metadata gives it.
pub(crate) struct Region {
    /// ISO 3166 code: `GB`.
    pub id: &'static str,
    /// The trunk prefix dialled before a national number (`0`), empty where none is.
    pub national_prefix: &'static str,
    /// Every valid national number of the region matches this.
    pub general: &'static str,
    /// The types of number, each with its pattern and lengths.
    pub types: &'static [Type],
}

/// One type of number of a region: fixed line, mobile, toll-free, …
pub(crate) struct Type {
    /// libphonenumber's name for it: `fixedLine`.
    #[allow(dead_code)]
    pub name: &'static str,
    /// The lengths of its national numbers.
    pub lengths: &'static [u8],
    /// Its national numbers.
    pub pattern: &'static str,
}

impl Region {
    /// The patterns a region's DFA matches, by pattern id: each type's, then the
    /// general one; each must match a whole national number.
    #[allow(dead_code)]
    pub fn patterns(&self) -> Vec<String> {
        self.types.iter().map(|t| t.pattern).chain([self.general]).map(|p| format!("^(?:{p})$")).collect()
    }
}
