//! The one place the store holds tokio's paused clock: every query, transaction and close goes
//! through [`Pool`], which keeps a [`ClockHold`] for as long as the database works on it (see
//! [`crate::time::hold`] for why). Store functions use `&self.pool` as an ordinary sqlx
//! executor and never think about the clock.

use std::ops::{Deref, DerefMut};

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use sqlx::any::{AnyQueryResult, AnyRow, AnyStatement, AnyTypeInfo};
use sqlx::{Any, AnyConnection, AnyPool, Describe, Either, Execute, Executor, Transaction};

use crate::time::{hold, ClockHold};

/// The store's connection pool: an `AnyPool` whose every use holds the paused clock.
#[derive(Clone)]
pub(crate) struct Pool(AnyPool, Begin);

/// How a transaction begins.
#[derive(Clone, Copy)]
enum Begin {
    /// PostgreSQL: `BEGIN` (rows are locked as they are written, or `FOR UPDATE`).
    Plain,
    /// SQLite: `BEGIN IMMEDIATE`, the database's write lock taken at once (waiting up to the
    /// busy timeout for it). A deferred `BEGIN` would read first and ask for the lock at its
    /// first write, and SQLite answers "database is locked" at once, without waiting, when
    /// another connection wrote in between: two customers paying at the same moment lost a
    /// payment that way.
    Immediate,
}

/// The pool's options hold the connection URL, which may carry a password.
impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").finish_non_exhaustive()
    }
}

impl Pool {
    pub(crate) fn new(pool: AnyPool) -> Pool {
        let begin = match pool.connect_options().database_url.scheme() {
            "sqlite" => Begin::Immediate,
            _ => Begin::Plain,
        };
        Pool(pool, begin)
    }

    /// Begins a transaction that holds the clock until it is committed or dropped (on SQLite
    /// with the write lock, see [`Begin::Immediate`]).
    pub(crate) async fn begin(&self) -> Result<Tx, sqlx::Error> {
        let hold = hold();
        let tx = match self.1 {
            Begin::Plain => self.0.begin().await?,
            Begin::Immediate => self.0.begin_with("BEGIN IMMEDIATE").await?,
        };
        Ok(Tx { tx, _hold: hold })
    }

    /// Closes the pool, waiting for open connections to finish.
    pub(crate) async fn close(&self) {
        let _hold = hold();
        self.0.close().await;
    }
}

/// A transaction holding the paused clock. Dereferences to its connection, as sqlx's
/// `Transaction` does, so `&mut *tx` is an executor.
pub(crate) struct Tx {
    tx: Transaction<'static, Any>,
    _hold: ClockHold,
}

impl Tx {
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub(crate) async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl Deref for Tx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

impl<'p> Executor<'p> for &'_ Pool {
    type Database = Any;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<AnyQueryResult, AnyRow>, sqlx::Error>>
    where
        E: 'q + Execute<'q, Any>,
    {
        let hold = hold();
        self.0
            .fetch_many(query)
            .map(move |item| {
                let _ = &hold;
                item
            })
            .boxed()
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<AnyRow>, sqlx::Error>>
    where
        E: 'q + Execute<'q, Any>,
    {
        let hold = hold();
        let fut = self.0.fetch_optional(query);
        Box::pin(async move {
            let _hold = hold;
            fut.await
        })
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [AnyTypeInfo],
    ) -> BoxFuture<'e, Result<AnyStatement<'q>, sqlx::Error>> {
        let hold = hold();
        let fut = self.0.prepare_with(sql, parameters);
        Box::pin(async move {
            let _hold = hold;
            fut.await
        })
    }

    fn describe<'e, 'q: 'e>(
        self,
        sql: &'q str,
    ) -> BoxFuture<'e, Result<Describe<Any>, sqlx::Error>> {
        let hold = hold();
        let fut = self.0.describe(sql);
        Box::pin(async move {
            let _hold = hold;
            fut.await
        })
    }
}
