//! The packed form of an event: what crosses the boundary the other way, from the
//! host into a plugin, as one buffer.
//!
//! Lowering an `event` record through the component model costs one call into the
//! plugin's allocator and one copy per string and list; a 1 KB inference event has
//! eighteen. A `packed-detector` (contract 0.3.1) takes the same event as one
//! `list<u8>`: one allocation, one copy, and the plugin unpacks it in its own memory.
//!
//! The packing (version [`VERSION`]): one byte, the version, then the event's fields
//! in the order the WIT `event` record declares them, each as:
//! - a `string` or `list`: its length (`u32`, little-endian; bytes for a string,
//!   items for a list), then its UTF-8 bytes or items;
//! - a `u32` or `u64`: little-endian;
//! - an `option`: the byte 0 (none), or 1 followed by the value;
//! - a record or tuple: its fields in order;
//! - an `enum` or `variant`: the byte of its case's position (from 0), then the
//!   case's value, if it has one.
//!
//! The host packs with [`Pack`] and the SDK unpacks with [`Unpack`], both implemented
//! for the generated types of either side by one macro, [`packed_event!`](crate::packed_event), which
//! holds the field order once.

/// The version of the packing, its first byte.
pub const VERSION: u8 = 1;

/// A value that can be written in the packing.
pub trait Pack {
    /// Append the value's packing to `out`.
    fn pack(&self, out: &mut Vec<u8>);
}

/// A value that can be read back from the packing.
pub trait Unpack: Sized {
    /// Read one value from `input`, or say where the packing is broken.
    fn unpack(input: &mut Reader<'_>) -> Result<Self, Malformed>;

    /// Read one value from `input` over `self`, reusing the room its strings and
    /// lists already have: a plugin that unpacks each event over the last one
    /// allocates only when an event is larger. On an error `self` is left part
    /// overwritten, and the next successful read overwrites all of it.
    fn unpack_into(&mut self, input: &mut Reader<'_>) -> Result<(), Malformed> {
        *self = Self::unpack(input)?;
        Ok(())
    }
}

/// Where a buffer stops being a packed event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// The byte offset where reading failed.
    pub at: usize,
    /// What was expected there.
    pub expected: &'static str,
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed packed event at byte {}: expected {}", self.at, self.expected)
    }
}

/// A cursor over a packed buffer.
#[derive(Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// Read `n` bytes.
    fn take(&mut self, n: usize, expected: &'static str) -> Result<&'a [u8], Malformed> {
        let end = self.at.checked_add(n).filter(|&end| end <= self.bytes.len());
        let end = end.ok_or(Malformed { at: self.at, expected })?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    /// Read one byte.
    pub fn byte(&mut self, expected: &'static str) -> Result<u8, Malformed> {
        let byte = self.peek(expected)?;
        self.at += 1;
        Ok(byte)
    }

    /// The next byte, left to read.
    pub fn peek(&self, expected: &'static str) -> Result<u8, Malformed> {
        self.bytes.get(self.at).copied().ok_or(Malformed { at: self.at, expected })
    }

    /// A case byte past the last case of an enum or variant.
    pub fn bad_case(&self, expected: &'static str) -> Malformed {
        Malformed { at: self.at - 1, expected }
    }

    /// A string's text, checked to be UTF-8.
    fn text(&mut self) -> Result<&'a str, Malformed> {
        let len = self.length()?;
        let at = self.at;
        let bytes = self.take(len, "a string")?;
        std::str::from_utf8(bytes).map_err(|_| Malformed { at, expected: "UTF-8 text" })
    }

    /// A length, checked against what is left: every item takes at least one byte,
    /// so a length past the end is refused before anything is allocated.
    fn length(&mut self) -> Result<usize, Malformed> {
        let at = self.at;
        let len = u32::unpack(self)? as usize;
        if len > self.bytes.len() - self.at {
            return Err(Malformed { at, expected: "a length within the buffer" });
        }
        Ok(len)
    }
}

/// Pack an event: the version byte, then the event.
pub fn pack<T: Pack>(event: &T, out: &mut Vec<u8>) {
    out.clear();
    out.push(VERSION);
    event.pack(out);
}

/// Unpack an event packed by [`pack`]; every byte must be used.
pub fn unpack<T: Unpack>(bytes: &[u8]) -> Result<T, Malformed> {
    read_whole(bytes, T::unpack)
}

/// Unpack an event packed by [`pack`] over `event` ([`Unpack::unpack_into`]).
pub fn unpack_into<T: Unpack>(bytes: &[u8], event: &mut T) -> Result<(), Malformed> {
    read_whole(bytes, |input| event.unpack_into(input))
}

/// Check the version, `read` the event, check that nothing is left.
fn read_whole<R>(bytes: &[u8], read: impl FnOnce(&mut Reader<'_>) -> Result<R, Malformed>) -> Result<R, Malformed> {
    let mut input = Reader { bytes, at: 0 };
    if input.byte("the packing's version")? != VERSION {
        return Err(Malformed { at: 0, expected: "packing version 1" });
    }
    let value = read(&mut input)?;
    match input.at == bytes.len() {
        true => Ok(value),
        false => Err(Malformed { at: input.at, expected: "the end of the event" }),
    }
}

macro_rules! integer {
    ($($int:ty),*) => {$(
        impl Pack for $int {
            fn pack(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }

        impl Unpack for $int {
            fn unpack(input: &mut Reader<'_>) -> Result<Self, Malformed> {
                let bytes = input.take(size_of::<$int>(), stringify!($int))?;
                Ok(<$int>::from_le_bytes(bytes.try_into().expect("took the integer's size")))
            }
        }
    )*};
}
integer!(u32, u64);

/// A length as the packing writes it. Nothing the host holds reaches 4 GiB: a plugin's
/// memory cannot hold more.
fn pack_len(len: usize, out: &mut Vec<u8>) {
    u32::try_from(len).expect("a packed length fits in u32").pack(out);
}

impl Pack for String {
    fn pack(&self, out: &mut Vec<u8>) {
        pack_len(self.len(), out);
        out.extend_from_slice(self.as_bytes());
    }
}

impl Unpack for String {
    fn unpack(input: &mut Reader<'_>) -> Result<Self, Malformed> {
        input.text().map(str::to_owned)
    }

    fn unpack_into(&mut self, input: &mut Reader<'_>) -> Result<(), Malformed> {
        let text = input.text()?;
        self.clear();
        self.push_str(text);
        Ok(())
    }
}

impl<T: Pack> Pack for Option<T> {
    fn pack(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(value) => {
                out.push(1);
                value.pack(out);
            }
        }
    }
}

impl<T: Unpack> Unpack for Option<T> {
    fn unpack(input: &mut Reader<'_>) -> Result<Self, Malformed> {
        match input.byte("an option")? {
            0 => Ok(None),
            1 => T::unpack(input).map(Some),
            _ => Err(input.bad_case("an option's 0 or 1")),
        }
    }

    fn unpack_into(&mut self, input: &mut Reader<'_>) -> Result<(), Malformed> {
        match (input.byte("an option")?, self.as_mut()) {
            (1, Some(value)) => value.unpack_into(input),
            (1, None) => T::unpack(input).map(|value| *self = Some(value)),
            (0, _) => {
                *self = None;
                Ok(())
            }
            _ => Err(input.bad_case("an option's 0 or 1")),
        }
    }
}

impl<T: Pack> Pack for Vec<T> {
    fn pack(&self, out: &mut Vec<u8>) {
        pack_len(self.len(), out);
        self.iter().for_each(|item| item.pack(out));
    }
}

impl<T: Unpack> Unpack for Vec<T> {
    fn unpack(input: &mut Reader<'_>) -> Result<Self, Malformed> {
        let mut items = Vec::new();
        items.unpack_into(input)?;
        Ok(items)
    }

    fn unpack_into(&mut self, input: &mut Reader<'_>) -> Result<(), Malformed> {
        let len = input.length()?;
        self.truncate(len);
        for item in self.iter_mut() {
            item.unpack_into(input)?;
        }
        self.reserve(len - self.len());
        while self.len() < len {
            self.push(T::unpack(input)?);
        }
        Ok(())
    }
}

impl<A: Pack, B: Pack> Pack for (A, B) {
    fn pack(&self, out: &mut Vec<u8>) {
        self.0.pack(out);
        self.1.pack(out);
    }
}

impl<A: Unpack, B: Unpack> Unpack for (A, B) {
    fn unpack(input: &mut Reader<'_>) -> Result<Self, Malformed> {
        Ok((A::unpack(input)?, B::unpack(input)?))
    }

    fn unpack_into(&mut self, input: &mut Reader<'_>) -> Result<(), Malformed> {
        self.0.unpack_into(input)?;
        self.1.unpack_into(input)
    }
}

/// Implement [`Pack`] and [`Unpack`] for the contract's `event` and every type it
/// holds, as generated on either side of the boundary. Invoke it once where the
/// generated types (`Event`, `Payload`, `Inference`, …) are in scope by those names.
/// The field order here is the WIT's; it is the packing.
#[macro_export]
macro_rules! packed_event {
    () => {
        $crate::packed_event! {
            records {
                ModelRef { name, version, digest }
                Message { role, content }
                Document { id, source, content }
                Inference { input, output, retrieved, input_tokens, output_tokens }
                ToolCall { tool, arguments, result }
                ModelLifecycle { action, model, registry }
                LabeledRecord { text, label, source }
                TrainingData { dataset, batch, revision, records }
                DatasetInput { dataset, revision, batches }
                TrainingRun { run, job, state, inputs, base, output }
                Custom { kind, data }
                Event { id, time_unix_nano, source, model, principal, session, payload, attributes }
            }
            enums { Role { System, User, Assistant, Tool } }
            variants { Payload { Inference, ToolCall, ModelLifecycle, TrainingData, TrainingRun, Custom } }
        }
    };
    (
        records { $($record:ident { $($field:ident),* })* }
        enums { $($enum:ident { $($unit:ident),* })* }
        variants { $($variant:ident { $($case:ident),* })* }
    ) => {
        $(
            impl $crate::packed::Pack for $record {
                fn pack(&self, out: &mut Vec<u8>) {
                    $($crate::packed::Pack::pack(&self.$field, out);)*
                }
            }

            impl $crate::packed::Unpack for $record {
                fn unpack(input: &mut $crate::packed::Reader<'_>) -> Result<Self, $crate::packed::Malformed> {
                    Ok(Self { $($field: $crate::packed::Unpack::unpack(input)?),* })
                }

                fn unpack_into(
                    &mut self,
                    input: &mut $crate::packed::Reader<'_>,
                ) -> Result<(), $crate::packed::Malformed> {
                    $($crate::packed::Unpack::unpack_into(&mut self.$field, input)?;)*
                    Ok(())
                }
            }
        )*
        $(
            impl $crate::packed::Pack for $enum {
                fn pack(&self, out: &mut Vec<u8>) {
                    out.push(*self as u8);
                }
            }

            impl $crate::packed::Unpack for $enum {
                fn unpack(input: &mut $crate::packed::Reader<'_>) -> Result<Self, $crate::packed::Malformed> {
                    let case = input.byte(stringify!($enum))?;
                    [$($enum::$unit),*]
                        .into_iter()
                        .nth(usize::from(case))
                        .ok_or_else(|| input.bad_case(concat!("a case of ", stringify!($enum))))
                }
            }
        )*
        $(
            impl $crate::packed::Pack for $variant {
                fn pack(&self, out: &mut Vec<u8>) {
                    // The cases' positions, as the discriminants of a mirror enum.
                    enum Case { $($case),* }
                    match self {
                        $($variant::$case(value) => {
                            out.push(Case::$case as u8);
                            $crate::packed::Pack::pack(value, out);
                        })*
                    }
                }
            }

            impl $crate::packed::Unpack for $variant {
                fn unpack(input: &mut $crate::packed::Reader<'_>) -> Result<Self, $crate::packed::Malformed> {
                    enum Case { $($case),* }
                    let case = input.byte(stringify!($variant))?;
                    $(
                        if case == Case::$case as u8 {
                            return Ok($variant::$case($crate::packed::Unpack::unpack(input)?));
                        }
                    )*
                    Err(input.bad_case(concat!("a case of ", stringify!($variant))))
                }

                /// Over a value of the same case, read into it; else read a new one.
                fn unpack_into(
                    &mut self,
                    input: &mut $crate::packed::Reader<'_>,
                ) -> Result<(), $crate::packed::Malformed> {
                    enum Case { $($case),* }
                    let case = input.peek(stringify!($variant))?;
                    match self {
                        $($variant::$case(value) if case == Case::$case as u8 => {
                            input.byte(stringify!($variant))?;
                            $crate::packed::Unpack::unpack_into(value, input)
                        })*
                        _ => {
                            *self = $crate::packed::Unpack::unpack(input)?;
                            Ok(())
                        }
                    }
                }
            }
        )*
    };
}
