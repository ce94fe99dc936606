//! A WASI command (world `wasi:cli/command`): what an operator gets when they point
//! aiir at an ordinary wasm program instead of a detector.

fn main() {
    println!("hello from a program that is not a detector");
}
