//! Names in the viewer's language. A department, warehouse, zone or category keeps its name
//! as the depot writes it, and may keep it also in 中文 and in English; the pages say each
//! name in the viewer's language. The lists and pages read `name` as they always did, and say
//! it through the [`Glossary`]: every name kept in another language, a few hundred rows at
//! most, read once and kept for [`Names::FRESH`] (a change made here is seen at once; one
//! made on another instance within that time).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{App, Result};
use crate::db;

/// Which register a name belongs to: one name may be said differently in two of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Register {
    Category,
    Department,
    Warehouse,
    Zone,
}

impl Register {
    fn parse(text: &str) -> Option<Register> {
        Some(match text {
            "category" => Register::Category,
            "department" => Register::Department,
            "warehouse" => Register::Warehouse,
            "zone" => Register::Zone,
            _ => return None,
        })
    }
}

/// A name in 中文 and in English, where stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Said {
    zh: Option<String>,
    en: Option<String>,
}

/// Every name kept also in another language, by register and name.
#[derive(Debug, Default)]
pub struct Glossary {
    said: HashMap<(Register, String), Said>,
}

impl Glossary {
    /// From rows of (register, name, name in 中文, name in English). Two entries of one
    /// register that share a name but say it differently leave it unsaid: the page shows the
    /// name as written rather than guess which one it is.
    pub fn of(rows: Vec<db::places::OtherName>) -> Glossary {
        let mut said: HashMap<(Register, String), Said> = HashMap::new();
        let mut ambiguous = Vec::new();
        for row in rows {
            let Some(register) = Register::parse(&row.register) else {
                continue;
            };
            let new = Said {
                zh: row.name_zh,
                en: row.name_en,
            };
            let key = (register, row.name);
            match said.get(&key) {
                Some(old) if *old != new => ambiguous.push(key),
                _ => {
                    said.insert(key, new);
                }
            }
        }
        for key in ambiguous {
            said.remove(&key);
        }
        Glossary { said }
    }

    /// `name` of `register` in 中文 (`chinese`) or English: its name in that language where
    /// stored, else `name` as written.
    pub fn say<'a>(&'a self, register: Register, name: &'a str, chinese: bool) -> &'a str {
        let Some(said) = self.said.get(&(register, name.to_owned())) else {
            return name;
        };
        let other = if chinese { &said.zh } else { &said.en };
        other.as_deref().unwrap_or(name)
    }

    pub fn is_empty(&self) -> bool {
        self.said.is_empty()
    }
}

/// The glossary as last read, and when.
#[derive(Debug, Default)]
pub struct Names {
    cached: Mutex<Option<(Instant, Arc<Glossary>)>>,
}

impl Names {
    /// How long a glossary read from the database is used before it is read again.
    pub const FRESH: Duration = Duration::from_secs(5);

    /// A name was added or changed here: read the glossary afresh on its next use.
    pub fn forget(&self) {
        *self.cached.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    fn fresh(&self) -> Option<Arc<Glossary>> {
        let cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        cached
            .as_ref()
            .filter(|(read, _)| read.elapsed() < Self::FRESH)
            .map(|(_, g)| g.clone())
    }
}

/// The glossary pages say names through. Reference data every signed-in person sees beside
/// the names themselves, so it asks no permission of its own.
pub async fn glossary(app: &App) -> Result<Arc<Glossary>> {
    if let Some(glossary) = app.names.fresh() {
        return Ok(glossary);
    }
    let rows = db::places::other_names(&mut *app.pool.acquire().await?).await?;
    let glossary = Arc::new(Glossary::of(rows));
    *app.names.cached.lock().unwrap_or_else(|e| e.into_inner()) =
        Some((Instant::now(), glossary.clone()));
    Ok(glossary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        register: &str,
        name: &str,
        zh: Option<&str>,
        en: Option<&str>,
    ) -> db::places::OtherName {
        db::places::OtherName {
            register: register.into(),
            name: name.into(),
            name_zh: zh.map(Into::into),
            name_en: en.map(Into::into),
        }
    }

    #[test]
    fn a_name_is_said_in_the_viewers_language_where_stored() {
        let g = Glossary::of(vec![
            row("category", "Folding table", Some("折叠桌"), None),
            row("department", "财务处", None, Some("Finance")),
            row("zone", "Aisle 1", Some("一号通道"), Some("Aisle One")),
        ]);
        assert_eq!(g.say(Register::Category, "Folding table", true), "折叠桌");
        assert_eq!(
            g.say(Register::Category, "Folding table", false),
            "Folding table"
        );
        assert_eq!(g.say(Register::Department, "财务处", false), "Finance");
        assert_eq!(g.say(Register::Department, "财务处", true), "财务处");
        assert_eq!(g.say(Register::Zone, "Aisle 1", false), "Aisle One");
        // Another register's name, or a name not kept in another language, stays as written.
        assert_eq!(
            g.say(Register::Department, "Folding table", true),
            "Folding table"
        );
        assert_eq!(g.say(Register::Category, "Chair", true), "Chair");
    }

    #[test]
    fn a_name_said_two_ways_in_one_register_stays_as_written() {
        let g = Glossary::of(vec![
            row("category", "Desk", Some("办公桌"), None),
            row("category", "Desk", Some("书桌"), None),
            row("category", "Chair", Some("椅子"), None),
            row("category", "Chair", Some("椅子"), None),
        ]);
        assert_eq!(g.say(Register::Category, "Desk", true), "Desk");
        assert_eq!(g.say(Register::Category, "Chair", true), "椅子");
    }
}
