//! (being written)
pub fn run(_args: &[String]) -> Result<(), String> {
    Err("bench: not written yet".into())
}
