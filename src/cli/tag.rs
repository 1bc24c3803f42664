//! `depot tag write ADDRESS --epc NEW [--from OLD] [--password HEX]`: commission or rewrite
//! one tag through a reader, read back.

use std::time::Duration;

use anyhow::{bail, Context as _};
use clap::Subcommand;
use depot_readers::{write_epc, Epc, ReaderAddress, WriteRequest};

use super::service::Database;
use crate::config::{Config, Overrides};
use crate::db;

#[derive(Debug, Subcommand)]
pub enum TagCommand {
    /// Write an EPC to the one tag in a reader's field (or the tag named with --from), then
    /// read it back. With a database configured, an EPC of another asset is refused.
    Write {
        /// The reader: llrp://HOST[:PORT], uhf18:///dev/PORT (answer mode), uhf18+tcp://HOST:PORT,
        /// r2000:///dev/PORT or r2000+tcp://HOST:PORT. Stop Depot's own connection to it first.
        address: String,
        /// The EPC to write: 24 hex digits (GIAI-96).
        #[arg(long)]
        epc: String,
        /// The tag's current EPC, required when more than one tag may be in the field.
        #[arg(long)]
        from: Option<String>,
        /// The tag's access password, up to 8 hex digits (default: none, 0).
        #[arg(long)]
        password: Option<String>,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
    },
}

pub async fn run(over: &Overrides, cmd: TagCommand) -> anyhow::Result<()> {
    let TagCommand::Write {
        address,
        epc,
        from,
        password,
        seconds,
    } = cmd;
    let new = parse_new_epc(&epc)?;
    let from = from
        .map(|f| {
            Epc::from_hex(f.trim())
                .map_err(|_| anyhow::anyhow!("--from {f:?} is not an EPC in hex"))
        })
        .transpose()?;
    let access_password = match password {
        Some(p) => parse_password(&p)?,
        None => 0,
    };
    let reader: ReaderAddress = address.parse()?;
    let config = Config::load(over, None)?;
    if config.database_url.is_some() {
        check_register(&config, &new, from.as_ref()).await?;
    }
    let req = WriteRequest {
        from,
        access_password,
        ..WriteRequest::new(new)
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds.clamp(1, 600));
    let written = write_epc(&reader, &req, deadline)
        .await
        .with_context(|| format!("writing {new} through {address}"))?;
    println!(
        "wrote {} over {} through {address} ({} words), read back {} times",
        written.new, written.old, written.words, written.reads_after
    );
    Ok(())
}

/// A new EPC is a GIAI-96 as Depot assigns them: 96 bits, 24 hex digits.
pub fn parse_new_epc(s: &str) -> anyhow::Result<Epc> {
    let s = s.trim();
    if s.len() != 24 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("--epc {s:?} is not 24 hex digits (a 96-bit EPC)");
    }
    Ok(Epc::from_hex(s)?)
}

fn parse_password(s: &str) -> anyhow::Result<u32> {
    let s = s.trim().trim_start_matches("0x");
    if s.is_empty() || s.len() > 8 {
        bail!("--password is 1 to 8 hex digits");
    }
    u32::from_str_radix(s, 16).map_err(|_| anyhow::anyhow!("--password {s:?} is not hex"))
}

/// The register's word: the new EPC may be another asset's only if the tag is that asset's
/// (or is not in the register: commissioning a blank tag with an assigned EPC); a tag that
/// carries one asset's EPC is re-tagged through the asset, not rewritten here.
async fn check_register(config: &Config, new: &Epc, from: Option<&Epc>) -> anyhow::Result<()> {
    let database = Database::open(config).await?;
    let result = async {
        let mut conn = database.pool.acquire().await?;
        let owner_new = db::assets::by_epc(&mut conn, &new.to_hex()).await?;
        let owner_old = match from {
            Some(f) => db::assets::by_epc(&mut conn, &f.to_hex()).await?,
            None => None,
        };
        match (owner_old, owner_new) {
            (Some(old), Some(other)) if old.id != other.id => bail!(
                "{new} is the EPC of asset #{} ({}), and the tag is asset #{}'s: refused",
                other.id,
                other.name,
                old.id
            ),
            (Some(old), None) => bail!(
                "the tag carries the EPC of asset #{} ({}): refused, a registered asset's \
                 tag keeps its EPC",
                old.id,
                old.name
            ),
            _ => Ok(()),
        }
    }
    .await;
    database.close().await?;
    result
}
