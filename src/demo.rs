//! `depot serve --demo`: a small demo world.
use sqlx::PgPool;

use crate::config::Config;

pub async fn seed(_pool: &PgPool, _config: &Config) -> anyhow::Result<()> {
    Ok(())
}
