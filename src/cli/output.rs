//! Writing a command's result to stdout.

use std::io::Write;

/// Writes `text` to stdout. A reader that went away (`ijwmo stats … | head`) ends the command
/// quietly and successfully, as other Unix tools do, instead of a panic from `print!`.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}
