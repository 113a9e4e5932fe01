//! The SQLite and PostgreSQL migrations are two dialects of one schema: after migrating a
//! fresh database of each, their tables, columns (type family, nullability, default,
//! generated key), primary keys, indexes and foreign keys must match, except for the
//! differences listed in [`ALLOWED`] with their reasons.

use std::collections::{BTreeMap, BTreeSet};

use autoposter::store::Store;
use sqlx::{Connection, Row};

/// One column, normalised so that the two dialects compare.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Column {
    /// integer, text, blob, real or bool.
    family: &'static str,
    not_null: bool,
    /// The default as a literal (`0`, `'active'`), casts removed.
    default: Option<String>,
    /// The database assigns it (SQLite's INTEGER PRIMARY KEY, PostgreSQL's identity).
    generated: bool,
}

/// An index. Those behind a UNIQUE constraint are named by each database in its own way, so
/// they compare by their columns only; those made with CREATE INDEX compare by name too.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Index {
    name: Option<String>,
    columns: Vec<String>,
    unique: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct ForeignKey {
    columns: Vec<String>,
    table: String,
    to: Vec<String>,
    on_delete: String,
}

#[derive(Debug, Default)]
struct Table {
    columns: BTreeMap<String, Column>,
    primary_key: Vec<String>,
    indexes: BTreeSet<Index>,
    foreign_keys: BTreeSet<ForeignKey>,
}

type Schema = BTreeMap<String, Table>;

/// What a difference is about, to match it against [`ALLOWED`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Aspect {
    Table,
    Column,
    Family,
    Nullability,
    Default,
    Generated,
    PrimaryKey,
    Indexes,
    ForeignKeys,
}

/// A difference between the two schemas.
#[derive(Debug)]
struct Drift {
    table: String,
    column: Option<String>,
    aspect: Aspect,
    sqlite: String,
    postgres: String,
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = match &self.column {
            Some(column) => format!("{}.{column}", self.table),
            None => self.table.clone(),
        };
        write!(
            f,
            "{at} {:?}: SQLite {}, PostgreSQL {}",
            self.aspect, self.sqlite, self.postgres
        )
    }
}

/// Intended differences: (table, column, aspect, why).
const ALLOWED: &[(&str, &str, Aspect, &str)] = {
    // SQLite lets a PRIMARY KEY column that is not an INTEGER PRIMARY KEY hold NULL (a
    // documented quirk it keeps for compatibility); PostgreSQL's primary keys are NOT NULL.
    // The store never writes a NULL key, and adding NOT NULL on SQLite means rebuilding each
    // of these tables (customers is referenced by most others). New tables must not add to
    // this list: write NOT NULL on their key columns.
    const WHY: &str = "SQLite's PRIMARY KEY does not imply NOT NULL";
    &[
        ("customers", "id", Aspect::Nullability, WHY),
        ("plans", "customer_id", Aspect::Nullability, WHY),
        ("settings", "customer_id", Aspect::Nullability, WHY),
        ("account_waits", "account_id", Aspect::Nullability, WHY),
        ("account_sessions", "account_id", Aspect::Nullability, WHY),
        ("payments", "charge_id", Aspect::Nullability, WHY),
        ("leases", "customer_id", Aspect::Nullability, WHY),
        ("cycle_plans", "cycle_id", Aspect::Nullability, WHY),
        ("engines", "holder", Aspect::Nullability, WHY),
    ]
};

/// The type family of a declared SQLite type, by SQLite's affinity rules (booleans apart).
fn sqlite_family(declared: &str) -> &'static str {
    let t = declared.to_ascii_uppercase();
    match () {
        _ if t.contains("BOOL") => "bool",
        _ if t.contains("INT") => "integer",
        _ if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") => "text",
        _ if t.is_empty() || t.contains("BLOB") => "blob",
        _ if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") => "real",
        _ => "numeric",
    }
}

fn postgres_family(data_type: &str) -> &'static str {
    match data_type {
        "bigint" | "integer" | "smallint" => "integer",
        "text" | "character varying" | "character" => "text",
        "bytea" => "blob",
        "real" | "double precision" => "real",
        "boolean" => "bool",
        _ => "numeric",
    }
}

/// A default as a bare literal: outer parentheses and PostgreSQL's casts (`'a'::text`) gone.
fn literal(default: &str) -> String {
    let mut d = default.trim();
    while d.starts_with('(') && d.ends_with(')') {
        d = d[1..d.len() - 1].trim();
    }
    let d = match d.rfind("::") {
        Some(at) if !d[at..].contains('\'') => &d[..at],
        _ => d,
    };
    d.trim().to_string()
}

fn split(list: Option<String>) -> Vec<String> {
    list.map(|l| l.split(',').map(str::to_string).collect())
        .unwrap_or_default()
}

async fn sqlite_schema(url: &str) -> Schema {
    let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for name in names {
        let mut table = Table::default();
        let columns = sqlx::query(
            "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?) \
             ORDER BY cid",
        )
        .bind(&name)
        .fetch_all(&mut conn)
        .await
        .unwrap();
        let mut key: Vec<(i64, String, String)> = columns
            .iter()
            .filter(|c| c.get::<i64, _>("pk") > 0)
            .map(|c| (c.get("pk"), c.get("name"), c.get("type")))
            .collect();
        key.sort();
        // INTEGER PRIMARY KEY (exactly that type, alone) is the rowid: assigned, never NULL.
        let rowid = match key.as_slice() {
            [(_, column, declared)] if declared.eq_ignore_ascii_case("INTEGER") => {
                Some(column.clone())
            }
            _ => None,
        };
        table.primary_key = key.into_iter().map(|(_, c, _)| c).collect();
        for c in columns {
            let column: String = c.get("name");
            let generated = rowid.as_deref() == Some(column.as_str());
            table.columns.insert(
                column,
                Column {
                    family: sqlite_family(&c.get::<String, _>("type")),
                    not_null: c.get::<i64, _>("notnull") == 1 || generated,
                    default: c
                        .get::<Option<String>, _>("dflt_value")
                        .map(|d| literal(&d)),
                    generated,
                },
            );
        }
        let indexes = sqlx::query("SELECT name, \"unique\", origin FROM pragma_index_list(?)")
            .bind(&name)
            .fetch_all(&mut conn)
            .await
            .unwrap();
        for index in indexes {
            let index_name: String = index.get("name");
            let origin: String = index.get("origin");
            if origin == "pk" {
                continue;
            }
            let columns: Vec<String> =
                sqlx::query_scalar("SELECT name FROM pragma_index_info(?) ORDER BY seqno")
                    .bind(&index_name)
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
            table.indexes.insert(Index {
                name: (origin == "c").then_some(index_name),
                columns,
                unique: index.get::<i64, _>("unique") == 1,
            });
        }
        let keys = sqlx::query(
            "SELECT id, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list(?) \
             ORDER BY id, seq",
        )
        .bind(&name)
        .fetch_all(&mut conn)
        .await
        .unwrap();
        let mut by_id: BTreeMap<i64, ForeignKey> = BTreeMap::new();
        for k in keys {
            let fk = by_id.entry(k.get("id")).or_insert_with(|| ForeignKey {
                columns: Vec::new(),
                table: k.get("table"),
                to: Vec::new(),
                on_delete: k.get::<String, _>("on_delete").to_ascii_uppercase(),
            });
            fk.columns.push(k.get("from"));
            // NULL: the referenced table's primary key, resolved below.
            if let Some(to) = k.get::<Option<String>, _>("to") {
                fk.to.push(to);
            }
        }
        table.foreign_keys = by_id.into_values().collect();
        schema.insert(name, table);
    }
    let keys: BTreeMap<String, Vec<String>> = schema
        .iter()
        .map(|(n, t)| (n.clone(), t.primary_key.clone()))
        .collect();
    for table in schema.values_mut() {
        table.foreign_keys = std::mem::take(&mut table.foreign_keys)
            .into_iter()
            .map(|mut fk| {
                if fk.to.is_empty() {
                    fk.to = keys.get(&fk.table).cloned().unwrap_or_default();
                }
                fk
            })
            .collect();
    }
    conn.close().await.unwrap();
    schema
}

async fn postgres_schema(url: &str) -> Schema {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let mut schema = Schema::new();
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' \
         AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    for name in names {
        schema.insert(name, Table::default());
    }
    let columns = sqlx::query(
        "SELECT table_name::text AS tbl, column_name::text AS name, data_type::text AS type, \
         is_nullable::text AS nullable, column_default::text AS dflt, \
         is_identity::text AS identity FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    for c in columns {
        let default: Option<String> = c.get("dflt");
        let sequence = default
            .as_deref()
            .is_some_and(|d| d.starts_with("nextval("));
        let generated = c.get::<String, _>("identity") == "YES" || sequence;
        let Some(table) = schema.get_mut(&c.get::<String, _>("tbl")) else {
            continue;
        };
        table.columns.insert(
            c.get("name"),
            Column {
                family: postgres_family(&c.get::<String, _>("type")),
                not_null: c.get::<String, _>("nullable") == "NO",
                default: default.filter(|_| !sequence).map(|d| literal(&d)),
                generated,
            },
        );
    }
    let indexes = sqlx::query(
        "SELECT t.relname::text AS tbl, i.relname::text AS name, ix.indisunique AS uniq, \
         ix.indisprimary AS pk, \
         EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid \
                 AND c.conrelid = ix.indrelid AND c.contype IN ('u', 'p')) AS backed, \
         (SELECT string_agg(a.attname::text, ',' ORDER BY k.ord) \
          FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(num, ord) \
          JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.num) AS cols \
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = 'public' AND t.relname <> '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    for index in indexes {
        let Some(table) = schema.get_mut(&index.get::<String, _>("tbl")) else {
            continue;
        };
        let columns = split(index.get("cols"));
        if index.get::<bool, _>("pk") {
            table.primary_key = columns;
            continue;
        }
        table.indexes.insert(Index {
            name: (!index.get::<bool, _>("backed")).then(|| index.get("name")),
            columns,
            unique: index.get("uniq"),
        });
    }
    let keys = sqlx::query(
        "SELECT c.conrelid::regclass::text AS tbl, c.confrelid::regclass::text AS ref, \
         (SELECT string_agg(a.attname::text, ',' ORDER BY k.ord) \
          FROM unnest(c.conkey) WITH ORDINALITY AS k(num, ord) \
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num) AS cols, \
         (SELECT string_agg(a.attname::text, ',' ORDER BY k.ord) \
          FROM unnest(c.confkey) WITH ORDINALITY AS k(num, ord) \
          JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.num) AS ref_cols, \
         c.confdeltype::text AS on_delete \
         FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
         WHERE c.contype = 'f' AND n.nspname = 'public'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    for k in keys {
        let Some(table) = schema.get_mut(&k.get::<String, _>("tbl")) else {
            continue;
        };
        let on_delete = match k.get::<String, _>("on_delete").as_str() {
            "c" => "CASCADE",
            "n" => "SET NULL",
            "d" => "SET DEFAULT",
            "r" => "RESTRICT",
            _ => "NO ACTION",
        };
        table.foreign_keys.insert(ForeignKey {
            columns: split(k.get("cols")),
            table: k.get("ref"),
            to: split(k.get("ref_cols")),
            on_delete: on_delete.to_string(),
        });
    }
    conn.close().await.unwrap();
    schema
}

/// Every difference between the two schemas.
fn drift(sqlite: &Schema, postgres: &Schema) -> Vec<Drift> {
    let mut found = Vec::new();
    let mut note = |table: &str, column: Option<&str>, aspect, s: String, p: String| {
        found.push(Drift {
            table: table.to_string(),
            column: column.map(str::to_string),
            aspect,
            sqlite: s,
            postgres: p,
        })
    };
    let names: BTreeSet<&String> = sqlite.keys().chain(postgres.keys()).collect();
    for name in names {
        let (s, p) = match (sqlite.get(name), postgres.get(name)) {
            (Some(s), Some(p)) => (s, p),
            (s, p) => {
                let has = |t: Option<&Table>| if t.is_some() { "present" } else { "missing" };
                note(name, None, Aspect::Table, has(s).into(), has(p).into());
                continue;
            }
        };
        let columns: BTreeSet<&String> = s.columns.keys().chain(p.columns.keys()).collect();
        for column in columns {
            let (sc, pc) = match (s.columns.get(column), p.columns.get(column)) {
                (Some(sc), Some(pc)) => (sc, pc),
                (sc, pc) => {
                    let has = |c: Option<&Column>| if c.is_some() { "present" } else { "missing" };
                    note(
                        name,
                        Some(column),
                        Aspect::Column,
                        has(sc).into(),
                        has(pc).into(),
                    );
                    continue;
                }
            };
            let c = Some(column.as_str());
            if sc.family != pc.family {
                note(name, c, Aspect::Family, sc.family.into(), pc.family.into());
            }
            if sc.not_null != pc.not_null {
                let null = |n: bool| if n { "NOT NULL" } else { "NULL" };
                note(
                    name,
                    c,
                    Aspect::Nullability,
                    null(sc.not_null).into(),
                    null(pc.not_null).into(),
                );
            }
            if sc.default != pc.default {
                note(
                    name,
                    c,
                    Aspect::Default,
                    format!("{:?}", sc.default),
                    format!("{:?}", pc.default),
                );
            }
            if sc.generated != pc.generated {
                note(
                    name,
                    c,
                    Aspect::Generated,
                    sc.generated.to_string(),
                    pc.generated.to_string(),
                );
            }
        }
        if s.primary_key != p.primary_key {
            note(
                name,
                None,
                Aspect::PrimaryKey,
                format!("{:?}", s.primary_key),
                format!("{:?}", p.primary_key),
            );
        }
        if s.indexes != p.indexes {
            note(
                name,
                None,
                Aspect::Indexes,
                format!("{:?}", s.indexes),
                format!("{:?}", p.indexes),
            );
        }
        if s.foreign_keys != p.foreign_keys {
            note(
                name,
                None,
                Aspect::ForeignKeys,
                format!("{:?}", s.foreign_keys),
                format!("{:?}", p.foreign_keys),
            );
        }
    }
    found
}

fn allowed(d: &Drift) -> bool {
    ALLOWED.iter().any(|(table, column, aspect, _)| {
        d.table == *table && d.column.as_deref() == Some(*column) && d.aspect == *aspect
    })
}

/// The migration versions of one dialect, from the file names.
fn versions(dialect: &str) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(dialect);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    names.sort();
    names
}

#[test]
fn both_dialects_have_the_same_migration_files() {
    let sqlite = versions("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, versions("postgres"));
}

#[tokio::test]
async fn the_sqlite_and_postgres_schemas_do_not_drift_apart() {
    let Some(db) = crate::helpers::pg_db().await else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("autoposter-schema-{}", fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite_url = format!("sqlite:{}", dir.join("schema.db").display());
    for url in [&sqlite_url, &db.url] {
        Store::connect(url).await.unwrap().close().await;
    }
    let sqlite = sqlite_schema(&sqlite_url).await;
    let postgres = postgres_schema(&db.url).await;
    db.drop_db().await;
    let _ = std::fs::remove_dir_all(&dir);

    // The comparison sees what it compares: every table, with its columns and keys.
    assert!(sqlite.len() >= 18, "{:?}", sqlite.keys());
    let accounts = &postgres["accounts"];
    assert!(accounts.columns["id"].generated && accounts.columns["status"].not_null);
    assert_eq!(
        accounts.columns["status"].default.as_deref(),
        Some("'active'")
    );
    assert!(sqlite["chat_groups"].indexes.iter().any(|i| i.unique));
    let to_customers = ForeignKey {
        columns: vec!["customer_id".into()],
        table: "customers".into(),
        to: vec!["id".into()],
        on_delete: "CASCADE".into(),
    };
    for schema in [&sqlite, &postgres] {
        assert!(schema["accounts"].foreign_keys.contains(&to_customers));
        assert_eq!(schema["pair_waits"].primary_key, ["account_id", "group_id"]);
    }

    let found = drift(&sqlite, &postgres);
    let unexpected: Vec<String> = found
        .iter()
        .filter(|d| !allowed(d))
        .map(Drift::to_string)
        .collect();
    assert!(
        unexpected.is_empty(),
        "the schemas drifted apart:\n{}",
        unexpected.join("\n")
    );
    // Every allowance is still needed: one that no longer matches anything goes.
    for (table, column, aspect, why) in ALLOWED {
        assert!(
            found.iter().any(|d| d.table == *table
                && d.column.as_deref() == Some(*column)
                && d.aspect == *aspect),
            "{table}.{column} {aspect:?} is allowed ({why}) but no longer differs"
        );
    }
}
