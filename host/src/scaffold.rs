//! `aiir new`: a plugin project in one of the SDKs' languages, written from the
//! templates and SDKs embedded at build time, so a project always matches the contract
//! of the aiir that made it and builds with no aiir checkout beside it.
//!
//! A project is the template's files and, under `aiir/`, the contract (`aiir/wit`) and
//! the language's SDK (`aiir/sdk/<lang>`) copied verbatim. The template's files are, each
//! replacing the one of the same path before it: those every language shares
//! (`sdk/template/*`, then `sdk/template/<kind>`), the language's for both kinds (`sdk/<lang>/template/*`), the
//! language's for this kind (`sdk/<lang>/template/<kind>`); with `{{name}}`,
//! `{{name_snake}}` and `{{kind}}` filled in.

use aiir_boundary::validate_name;
use anyhow::{Context as _, bail};
use std::path::{Path, PathBuf};

/// Embedded files: (path relative to their folder, bytes, executable).
type Files = &'static [(&'static str, &'static [u8], bool)];

include!(concat!(env!("OUT_DIR"), "/scaffold.rs"));

/// The languages a plugin can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Rust, with the `aiir-sdk` crate
    Rust,
    /// Python, with the `aiir_sdk` package, built by componentize-py
    Python,
    /// JavaScript, with the `aiir-sdk` module, built by componentize-qjs
    Js,
    /// C, with `aiir.h` and the checked-in bindings, built by a wasm32 C compiler
    C,
}

impl Lang {
    /// Its folder under `sdk/`.
    pub fn folder(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Python => "python",
            Lang::Js => "js",
            Lang::C => "c",
        }
    }

    /// The `sdk/` folders a project in this language needs (the Rust SDK checks findings
    /// with the host's own boundary rules).
    fn sdk_folders(self) -> &'static [&'static str] {
        match self {
            Lang::Rust => &["rust", "boundary"],
            Lang::Python => &["python"],
            Lang::Js => &["js"],
            Lang::C => &["c"],
        }
    }
}

/// What the plugin is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Inspects events and returns findings (the `detector` world)
    Detector,
    /// Proposes actions for incidents (the `responder` world)
    Responder,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Detector => "detector",
            Kind::Responder => "responder",
        }
    }
}

/// One file of a project: its path in the project, its contents, whether it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Relative to the project's folder.
    pub path: PathBuf,
    /// The contents.
    pub bytes: Vec<u8>,
    /// Written with the executable bits (`build.sh`).
    pub executable: bool,
}

/// The files of a new `kind` plugin called `name`, in `lang`.
pub fn project(kind: Kind, name: &str, lang: Lang) -> anyhow::Result<Vec<File>> {
    validate_name(name).map_err(anyhow::Error::msg).context("the plugin's name")?;
    let own = template(lang.folder(), kind);
    if own.is_empty() {
        bail!("there is no {} template in {} yet", kind.name(), lang.folder());
    }
    let fill = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes).replace("{{name}}", name);
        text.replace("{{name_snake}}", &name.replace('-', "_")).replace("{{kind}}", kind.name()).into_bytes()
    };
    let mut files: Vec<File> = Vec::new();
    let layers = [template_of("shared", "both"), template("shared", kind), template_of(lang.folder(), "both"), own];
    for (path, bytes, executable) in layers.iter().flat_map(|files| files.iter()) {
        files.retain(|f| f.path != Path::new(path));
        files.push(File { path: path.into(), bytes: fill(bytes), executable: *executable });
    }
    let vendored = lang.sdk_folders().iter().flat_map(|folder| {
        let files = SDK.iter().find(|(f, _)| f == folder).map_or(&[][..], |(_, files)| *files);
        files.iter().map(move |(path, bytes, x)| (Path::new("aiir/sdk").join(folder).join(path), *bytes, *x))
    });
    let wit = WIT.iter().map(|(path, bytes, x)| (Path::new("aiir/wit").join(path), *bytes, *x));
    files.extend(wit.chain(vendored).map(|(path, bytes, executable)| File { path, bytes: bytes.to_vec(), executable }));
    Ok(files)
}

/// The template files of `kind` in `folder` (a language, or `shared`).
fn template(folder: &str, kind: Kind) -> Files {
    template_of(folder, kind.name())
}

/// The template files of `folder` for `kind`: `detector`, `responder` or `both`.
fn template_of(folder: &str, kind: &str) -> Files {
    let found = TEMPLATES.iter().find(|(f, k, _)| *f == folder && *k == kind);
    found.map_or(&[], |(_, _, files)| files)
}

/// Write `files` into `dir`, which must not exist or be empty.
pub fn write(dir: &Path, files: &[File]) -> anyhow::Result<()> {
    let occupied = std::fs::read_dir(dir).map(|mut d| d.next().is_some()).unwrap_or(false);
    if occupied {
        bail!("{} already exists and is not empty", dir.display());
    }
    for file in files {
        let path = dir.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, &file.bytes).with_context(|| format!("cannot write {}", path.display()))?;
        if file.executable {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .with_context(|| format!("cannot make {} executable", path.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(files: &[File]) -> Vec<String> {
        files.iter().map(|f| f.path.display().to_string()).collect()
    }

    #[test]
    fn a_rust_detector_has_its_template_the_contract_and_the_sdk() {
        let files = project(Kind::Detector, "acme-watch", Lang::Rust).unwrap();
        let paths = paths(&files);
        for wanted in [
            "Cargo.toml",
            "src/lib.rs",
            "cases.toml",
            "build.sh",
            "aiir/wit/plugin.wit",
            "aiir/sdk/rust/src/lib.rs",
            "aiir/sdk/boundary/src/lib.rs",
        ] {
            assert!(paths.iter().any(|p| p == wanted), "{wanted} missing from {paths:?}");
        }
        assert!(!paths.iter().any(|p| p.contains("template")), "{paths:?}");
        let lib = files.iter().find(|f| f.path == Path::new("src/lib.rs")).unwrap();
        let lib = String::from_utf8_lossy(&lib.bytes);
        assert!(lib.contains("\"acme-watch\"") && !lib.contains("{{"), "placeholders left in src/lib.rs");
        assert!(files.iter().find(|f| f.path == Path::new("build.sh")).unwrap().executable);
    }

    #[test]
    fn a_name_that_is_no_plugin_name_is_refused() {
        let e = project(Kind::Detector, "Acme Watch", Lang::Rust).unwrap_err();
        assert!(format!("{e:#}").contains("lowercase letters, digits and dashes"), "{e:#}");
    }

    #[test]
    fn a_project_is_not_written_over_another() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("keep.txt"), "mine").unwrap();
        let files = project(Kind::Detector, "acme-watch", Lang::Rust).unwrap();
        let e = write(dir.path(), &files).unwrap_err();
        assert!(e.to_string().contains("already exists"), "{e}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
