//! `ijwmo token --scope SCOPE`: makes an access token for the API and dashboard. Prints the
//! token (give it to its holder; it is shown once) and the line for the configuration, which
//! holds only its SHA-256.

use ijwmo::http::access::{new_token, Scope};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// regio, gemeente:<4-digit code> or aanbieder:<8-digit AGB>
    #[arg(long)]
    scope: String,
    /// Who holds it (written into the configuration line)
    #[arg(long, default_value = "")]
    name: String,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let scope = Scope::parse(&args.scope).map_err(|e| anyhow::anyhow!("--scope: {e}"))?;
    let (token, hash) = new_token();
    println!("token (give to its holder, shown once): {token}");
    println!("IJWMO_HTTP_TOKENS entry:                {hash}={scope}");
    println!("TOML:");
    println!("[[http.tokens]]");
    println!("sha256 = \"{hash}\"");
    println!("scope = \"{scope}\"");
    if !args.name.is_empty() {
        println!("name = \"{}\"", args.name);
    }
    Ok(ExitCode::SUCCESS)
}
