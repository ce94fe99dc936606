//! Admission: a component is read with wasmparser, counted against the load
//! [`Limit`]s and its top-level imports and exports gathered, all before anything is
//! compiled. Compiling costs time and memory in proportion to what a component
//! holds (500,000 empty functions took 51 s and 2.7 GB), so what is over a limit is
//! refused in the time it takes to read its section headers.
//!
//! The caps admit the standard pack (~1 MB), a componentize-py detector (18.4 MB:
//! 15 core modules, 13,400 functions, 6.6 MB of code, 11 MB of data, 1,900 data
//! segments, 60 instances), with room for a componentize-js one (~12 MB).

use super::error::LoadError;
use std::path::Path;
use std::time::Duration;
use wasmparser::{ComponentExternalKind, ComponentTypeRef, Encoding, Parser, Payload};

/// How long compiling one admitted component may take. The counts bound it already;
/// this stops what they miss. A componentize-py detector compiles in ~25 s on 2 cores.
pub const COMPILE_BUDGET: Duration = Duration::from_secs(120);

/// What a component may hold, summed over all its nested modules and components.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// The component file: 64 MiB, 3× a componentize-py component.
    FileBytes,
    /// Core functions defined: 100,000. Each costs compile time and memory, whatever
    /// its size; the cheapest way to make a host work.
    Functions,
    /// Bytes of function bodies: 32 MiB, what the compiler must translate.
    CodeBytes,
    /// Linear memories defined: 16.
    Memories,
    /// Tables defined: 100.
    Tables,
    /// Globals defined: 50,000 (dynamically linked Python has ~900).
    Globals,
    /// Data segments: 50,000.
    DataSegments,
    /// Bytes of data sections: 48 MiB, copied into memory at every instantiation.
    DataBytes,
    /// Core and component types: 50,000.
    Types,
    /// Nested core modules: 100.
    Modules,
    /// Nested components: 100.
    Components,
    /// Core and component instances: 1,000, each made at every instantiation.
    Instances,
    /// Imports, core and component, at every level: 50,000.
    Imports,
    /// Exports, core and component, at every level: 50,000.
    Exports,
}

impl Limit {
    /// Every limit, in the order the README lists them.
    pub const ALL: [Limit; 14] = [
        Limit::FileBytes,
        Limit::Functions,
        Limit::CodeBytes,
        Limit::Memories,
        Limit::Tables,
        Limit::Globals,
        Limit::DataSegments,
        Limit::DataBytes,
        Limit::Types,
        Limit::Modules,
        Limit::Components,
        Limit::Instances,
        Limit::Imports,
        Limit::Exports,
    ];

    /// The most a component may have.
    pub const fn cap(self) -> u64 {
        const MIB: u64 = 1 << 20;
        match self {
            Limit::FileBytes => 64 * MIB,
            Limit::Functions => 100_000,
            Limit::CodeBytes => 32 * MIB,
            Limit::Memories => 16,
            Limit::Tables => 100,
            Limit::Globals | Limit::DataSegments | Limit::Types => 50_000,
            Limit::DataBytes => 48 * MIB,
            Limit::Modules | Limit::Components => 100,
            Limit::Instances => 1_000,
            Limit::Imports | Limit::Exports => 50_000,
        }
    }

    /// What it counts, as messages name it.
    pub const fn name(self) -> &'static str {
        match self {
            Limit::FileBytes => "bytes of component",
            Limit::Functions => "core functions",
            Limit::CodeBytes => "bytes of code",
            Limit::Memories => "memories",
            Limit::Tables => "tables",
            Limit::Globals => "globals",
            Limit::DataSegments => "data segments",
            Limit::DataBytes => "bytes of data",
            Limit::Types => "types",
            Limit::Modules => "core modules",
            Limit::Components => "nested components",
            Limit::Instances => "instances",
            Limit::Imports => "imports",
            Limit::Exports => "exports",
        }
    }
}

/// What the host needs to know of an admitted component before compiling it: the
/// names it imports and exports at the top level. Types are left out: a type import
/// (componentize-py writes `(import "event" (type (eq …)))`) reaches nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shape {
    /// Top-level import names, e.g. `aiir:plugin/types@0.3.1`.
    pub imports: Vec<String>,
    /// Top-level export names, e.g. `inspect`.
    pub exports: Vec<String>,
}

/// Running totals, refused the moment one passes its cap.
#[derive(Default)]
struct Tally([u64; Limit::ALL.len()]);

impl Tally {
    fn add(&mut self, limit: Limit, n: u64) -> Result<(), LoadError> {
        let total = &mut self.0[limit as usize];
        *total = total.saturating_add(n);
        over(limit, *total)
    }
}

/// A refusal when `value` is over `limit`'s cap.
fn over(limit: Limit, value: u64) -> Result<(), LoadError> {
    if value > limit.cap() { Err(LoadError::OverLimit { limit, value, cap: limit.cap() }) } else { Ok(()) }
}

/// Read a component's sections, count what it holds against the limits and gather
/// its top-level names. Nothing is validated: compiling does that, once admitted.
pub(crate) fn admit(wasm: &[u8]) -> Result<Shape, LoadError> {
    over(Limit::FileBytes, wasm.len() as u64)?;
    let mut tally = Tally::default();
    let mut shape = Shape::default();
    // Nesting depth: 1 inside the outer component.
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| LoadError::Malformed(e.to_string()))?;
        match payload {
            Payload::Version { encoding, .. } => {
                depth += 1;
                if depth > 1 {
                    let nested = if encoding == Encoding::Module { Limit::Modules } else { Limit::Components };
                    tally.add(nested, 1)?;
                }
            }
            Payload::End(_) => depth -= 1,
            Payload::ComponentImportSection(s) if depth == 1 => {
                tally.add(Limit::Imports, s.count().into())?;
                for import in s {
                    let import = import.map_err(malformed)?;
                    if !matches!(import.ty, ComponentTypeRef::Type(_)) {
                        shape.imports.push(import.name.name.to_owned());
                    }
                }
            }
            Payload::ComponentExportSection(s) if depth == 1 => {
                tally.add(Limit::Exports, s.count().into())?;
                for export in s {
                    let export = export.map_err(malformed)?;
                    if export.kind != ComponentExternalKind::Type {
                        shape.exports.push(export.name.name.to_owned());
                    }
                }
            }
            other => count(&mut tally, &other)?,
        }
    }
    Ok(shape)
}

/// Add what one section holds to the tally.
fn count(tally: &mut Tally, payload: &Payload<'_>) -> Result<(), LoadError> {
    let (limit, n) = match payload {
        Payload::FunctionSection(s) => (Limit::Functions, s.count()),
        Payload::CodeSectionStart { size, .. } => (Limit::CodeBytes, *size),
        Payload::MemorySection(s) => (Limit::Memories, s.count()),
        Payload::TableSection(s) => (Limit::Tables, s.count()),
        Payload::GlobalSection(s) => (Limit::Globals, s.count()),
        Payload::DataSection(s) => {
            tally.add(Limit::DataBytes, s.range().len() as u64)?;
            (Limit::DataSegments, s.count())
        }
        Payload::TypeSection(s) => (Limit::Types, s.count()),
        Payload::CoreTypeSection(s) => (Limit::Types, s.count()),
        Payload::ComponentTypeSection(s) => (Limit::Types, s.count()),
        Payload::InstanceSection(s) => (Limit::Instances, s.count()),
        Payload::ComponentInstanceSection(s) => (Limit::Instances, s.count()),
        Payload::ImportSection(s) => (Limit::Imports, s.count()),
        Payload::ComponentImportSection(s) => (Limit::Imports, s.count()),
        Payload::ExportSection(s) => (Limit::Exports, s.count()),
        Payload::ComponentExportSection(s) => (Limit::Exports, s.count()),
        _ => return Ok(()),
    };
    tally.add(limit, n.into())
}

fn malformed(e: wasmparser::BinaryReaderError) -> LoadError {
    LoadError::Malformed(e.to_string())
}

/// Read a component file, refusing what is not a regular file (a FIFO would block,
/// `/dev/zero` never ends) before opening it, and reading no more than one byte past
/// the size cap.
pub fn read_component(path: &Path) -> std::io::Result<Vec<u8>> {
    use crate::file::FileError;
    crate::file::read_capped(path, Limit::FileBytes.cap()).map_err(|e| match e {
        FileError::Io(e) => e,
        FileError::TooLarge { size, cap } => {
            std::io::Error::other(LoadError::OverLimit { limit: Limit::FileBytes, value: size, cap })
        }
        not_regular @ FileError::NotRegular(_) => std::io::Error::other(not_regular),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A component of `n` empty core modules.
    fn with_modules(n: usize) -> Vec<u8> {
        let module = wasm_encoder::Module::new();
        let mut component = wasm_encoder::Component::new();
        for _ in 0..n {
            component.section(&wasm_encoder::ModuleSection(&module));
        }
        component.finish()
    }

    #[test]
    fn counts_are_refused_past_their_cap() {
        let cap = Limit::Modules.cap() as usize;
        assert_eq!(admit(&with_modules(cap)).unwrap(), Shape::default());
        let err = admit(&with_modules(cap + 1)).unwrap_err();
        assert_eq!(err.to_string(), "over a load limit: 101 core modules, more than the cap of 100");
    }

    #[test]
    fn garbage_after_the_header_is_malformed() {
        let err = admit(b"\0asm\x0d\0\x01\0\xff\xff").unwrap_err();
        assert!(matches!(err, LoadError::Malformed(_)), "{err}");
    }
}
