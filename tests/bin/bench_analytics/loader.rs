//! Creates the storage crate's schema in a native SQLite database and loads
//! generated leads into it, with the daily counts that the components keep.

use anyhow::{Context, Result, bail};
use cloudvelous_storage::{
    ADD_TO_DAILY_COUNT, MIGRATIONS, SECONDS_PER_DAY, SELECT_COUNT_DIFFERENCES, latest_version,
};
use rusqlite::{Connection, params};
use std::path::Path;
use std::time::Instant;

/// Name of the index that the plain `GROUP BY` reads. The components never
/// use it: the bench adds it so the comparison is with the best plain query.
pub const COVERING_INDEX: &str = "bench_leads_created_source_status";

/// Leads inserted per transaction while loading.
const BATCH: u64 = 100_000;

/// Sources and statuses in the proportions the loader draws them, out of 20.
const SOURCES: [(&str, u64); 5] = [
    ("website", 8),
    ("social", 4),
    ("referral", 3),
    ("email", 3),
    ("phone", 2),
];
const STATUSES: [(&str, u64); 5] = [
    ("new", 8),
    ("contacted", 5),
    ("qualified", 3),
    ("converted", 2),
    ("lost", 2),
];

const INSERT_LEAD: &str = "INSERT INTO leads \
    (id, name, email, email_key, phone, company, source, status, notes, created_at, updated_at) \
    VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, NULL, ?8, ?9)";

/// The days the loaded leads are spread over, counted from 1970-01-01.
#[derive(Clone, Copy, Debug)]
pub struct Span {
    /// First day with leads.
    pub first_day: i64,
    /// Last day with leads.
    pub last_day: i64,
}

/// Opens `path` and brings it to the schema of every migration, as the
/// components' first request would, then adds the covering index of the
/// plain `GROUP BY`.
pub fn create_schema(path: &Path) -> Result<Connection> {
    let connection =
        Connection::open(path).with_context(|| format!("failed to open {}", path.display()))?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    // 512 MiB of page cache speeds up the load. Each request of a component
    // opens its own connection with SQLite's default cache.
    connection.pragma_update(None, "cache_size", -524_288)?;

    let transaction = connection.unchecked_transaction()?;
    for migration in MIGRATIONS {
        for statement in migration.statements {
            transaction
                .execute(statement, [])
                .with_context(|| format!("migration {} failed", migration.version))?;
        }
    }
    transaction.pragma_update(None, "user_version", latest_version())?;
    transaction.execute(
        &format!("CREATE INDEX {COVERING_INDEX} ON leads (created_at, source, status)"),
        [],
    )?;
    transaction.commit()?;
    Ok(connection)
}

/// Inserts leads number `from` to `to - 1`, created at random times of
/// `span`, each with the increment of its daily count that the storage
/// crate runs in the same transaction as the insert.
pub fn load_leads(connection: &Connection, span: Span, from: u64, to: u64) -> Result<()> {
    let started = Instant::now();
    let mut random = Random::new(0x5EED_0000 ^ from);
    let seconds = (span.last_day - span.first_day + 1) * SECONDS_PER_DAY;
    let mut start = from;
    while start < to {
        let end = (start + BATCH).min(to);
        let transaction = connection.unchecked_transaction()?;
        {
            let mut insert = transaction.prepare_cached(INSERT_LEAD)?;
            let mut count = transaction.prepare_cached(ADD_TO_DAILY_COUNT)?;
            for number in start..end {
                let lead = GeneratedLead::draw(&mut random, number, span, seconds);
                insert.execute(params![
                    lead.id,
                    lead.name,
                    lead.email,
                    lead.phone,
                    lead.company,
                    lead.source,
                    lead.status,
                    lead.created_at,
                    lead.updated_at,
                ])?;
                let day = lead.created_at.div_euclid(SECONDS_PER_DAY);
                count.execute(params![day, lead.source, lead.status, 1])?;
            }
        }
        transaction.commit()?;
        start = end;
        eprint!(
            "\rloaded {end} of {to} leads ({:.0} s)",
            started.elapsed().as_secs_f64()
        );
    }
    eprintln!();
    Ok(())
}

/// Runs the storage crate's consistency check on the whole database and
/// fails when any daily count differs from a recount of the leads.
pub fn check_counts(connection: &Connection) -> Result<()> {
    let mut statement = connection.prepare(SELECT_COUNT_DIFFERENCES)?;
    let differences = statement.query_map([], |_| Ok(()))?.count();
    if differences > 0 {
        bail!("{differences} daily counts differ from a recount of the leads");
    }
    Ok(())
}

/// One generated lead row.
struct GeneratedLead {
    id: String,
    name: String,
    email: String,
    phone: Option<String>,
    company: Option<String>,
    source: &'static str,
    status: &'static str,
    created_at: i64,
    updated_at: Option<i64>,
}

impl GeneratedLead {
    fn draw(random: &mut Random, number: u64, span: Span, seconds: i64) -> GeneratedLead {
        let offset = i64::try_from(random.below(seconds as u64)).unwrap_or(0);
        let created_at = span.first_day * SECONDS_PER_DAY + offset;
        let status = random.weighted(&STATUSES);
        let updated_at = (status != "new").then(|| created_at + 3_600);
        GeneratedLead {
            id: format!("lead_bench{number:016}"),
            name: format!("Bench Lead {number}"),
            email: format!("bench{number:012}@example.com"),
            phone: random
                .chance(70)
                .then(|| format!("+1555{:07}", number % 10_000_000)),
            company: random
                .chance(85)
                .then(|| format!("Company {}", number % 5_000)),
            source: random.weighted(&SOURCES),
            status,
            created_at,
            updated_at,
        }
    }
}

/// SplitMix64, seeded with a fixed value so that every run loads the same
/// leads.
struct Random(u64);

impl Random {
    fn new(seed: u64) -> Random {
        Random(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut mixed = self.0;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        mixed ^ (mixed >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// Picks a name with a probability proportional to its weight.
    fn weighted(&mut self, choices: &[(&'static str, u64)]) -> &'static str {
        let total: u64 = choices.iter().map(|(_, weight)| weight).sum();
        let mut draw = self.below(total);
        for &(name, weight) in choices {
            if draw < weight {
                return name;
            }
            draw -= weight;
        }
        choices[0].0
    }
}
