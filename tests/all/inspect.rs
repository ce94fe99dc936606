//! `aiir inspect` describes a component.

use crate::support::{aiir, guest, pack, root};

#[test]
fn describes_a_standard_detector() {
    let wasm = pack("prompt-injection");
    let run = aiir(&root(), &["inspect", "--no-cache", wasm.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let size = std::fs::metadata(&wasm).unwrap().len();
    for expected in [
        "plugin     prompt-injection 0.1.0".to_owned(),
        "world      aiir:plugin/packed-detector@0.3.1".to_owned(),
        "kinds      inference".to_owned(),
        format!("size       {size} bytes"),
        "aiir:plugin/types@0.3.1".to_owned(),
    ] {
        assert!(run.stdout.contains(&expected), "lacks {expected:?}:\n{}", run.stdout);
    }
    let sha = run.stdout.lines().find_map(|l| l.strip_prefix("sha256     ")).unwrap();
    assert!(sha.len() == 64 && sha.chars().all(|c| c.is_ascii_hexdigit()), "{sha}");
}

#[test]
fn refuses_another_world() {
    let run = aiir(&root(), &["inspect", "--no-cache", guest("not-a-detector").to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("does not implement the aiir:plugin/detector world"), "{}", run.stderr);
}
