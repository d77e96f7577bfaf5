//! Finding credentials: filters by kind, owner, statuses and coming expiry, a search over name,
//! description, token prefix and client ID, a sort on any column, and paging with a total.
//!
//! Every sort order walks an index. An order that no single index can give is listed as a run
//! of [`Segment`]s, each walking its own index: status (which depends on the clock and the
//! owners' access) as the credentials of each status in turn, each by expiry; the owner as organization tokens
//! and then the users by name; the last use as never used and then the used by time. A page
//! takes its rows from the segments its offset falls in, with their counts for the total.

use chrono::{DateTime, Duration, Utc};
use rusqlite::types::Value;
use serde::{Deserialize, Serialize};

use super::health::HealthCheck;
use super::{Credential, Status};
use crate::people::UserId;
use crate::token::TokenKind;

/// What to list, in which order.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, specta::Type, Serialize)]
#[serde(default)]
pub struct CredentialQuery {
    /// Only this kind.
    pub kind: Option<TokenKind>,
    /// Only credentials of this user.
    pub owner: Option<UserId>,
    /// Only credentials in one of these statuses (as of now); empty for any.
    pub statuses: Vec<Status>,
    /// Only credentials still valid now that expire within this many days.
    pub expires_within_days: Option<u32>,
    /// Only credentials this check of the Health section finds.
    pub health: Option<HealthCheck>,
    /// Leave out credentials that were renewed and whose successor is in the vault: the
    /// window lists them folded under their successor (see [`Vault::predecessors`]).
    ///
    /// [`Vault::predecessors`]: crate::Vault::predecessors
    pub fold_renewed: bool,
    /// Case-insensitive text in the name or description, or the start of the token.
    pub search: Option<String>,
    /// The column to sort by.
    pub sort: SortKey,
    /// Largest first.
    pub descending: bool,
    /// At most this many rows.
    pub limit: Option<u32>,
    /// Rows to skip, for paging.
    pub offset: u32,
}

impl Default for CredentialQuery {
    /// Everything, newest first.
    fn default() -> Self {
        CredentialQuery {
            kind: None,
            owner: None,
            statuses: Vec::new(),
            expires_within_days: None,
            health: None,
            fold_renewed: false,
            search: None,
            sort: SortKey::Created,
            descending: true,
            limit: None,
            offset: 0,
        }
    }
}

/// A column to sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, specta::Type, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    /// Name.
    Name,
    /// Kind.
    Kind,
    /// Owner's name (organization tokens first).
    Owner,
    /// Issue time (age).
    #[default]
    Created,
    /// Expiry.
    Expires,
    /// Status: active, expiring soon, superseded, blocked, disabled, expired, revoked; each by
    /// expiry.
    Status,
    /// Last successful verification (never used first).
    LastUsed,
}

/// One page of a query's credentials, and how many the query selects in all.
#[derive(Debug, Clone)]
pub struct CredentialPage {
    /// Every credential the filters select, on any page.
    pub total: u32,
    /// This page's credentials, in the query's order.
    pub credentials: Vec<Credential>,
}

/// The joins a credential is read whole from: `c` the credential, `u` its owner, `us` its
/// last use.
pub(super) const CREDENTIAL_FIRST: &str = "credentials c LEFT JOIN users u ON u.id = c.owner_id \
     LEFT JOIN credential_usage us ON us.credential_id = c.id";

/// The credentials alone: what an order walks when neither it nor the filters name an owner
/// or a use (filters only ever name `c`).
const CREDENTIALS_ONLY: &str = "credentials c";

/// A part of an order that one index walks: the rows its condition selects, from its joins
/// (`CROSS JOIN` fixes which table the walk starts from), in the order of its terms.
#[derive(Debug, Clone, Copy)]
pub(super) struct Segment {
    /// The tables its order and condition need, named `c`, `u` and `us` as in
    /// [`CREDENTIAL_FIRST`]: the walk reads ids only, and each table joined costs a lookup
    /// for every row walked, counted or skipped.
    pub from: &'static str,
    /// What the segment adds to the filters; `?1` is now.
    pub condition: Option<&'static str>,
    /// The ORDER BY terms, ascending.
    pub order: &'static [&'static str],
}

/// A credential that is neither revoked nor expired nor disabled, `?1` being now.
macro_rules! live {
    () => {
        "c.revoked_at IS NULL AND c.expires_at > ?1 AND c.disabled_at IS NULL"
    };
}

/// The users without API access: switched off, or in a group that blocks it.
macro_rules! blocked_owners {
    () => {
        "SELECT id FROM users WHERE NOT api_access \
         UNION SELECT m.user_id FROM group_members m JOIN groups g ON g.id = m.group_id \
         WHERE g.blocks_api_access"
    };
}

/// A live credential whose owner, if it has one, has API access. The owner and renewal are
/// tested with `+` so that no index on them is chosen over the order's.
macro_rules! usable {
    () => {
        concat!(
            live!(),
            " AND (c.owner_id IS NULL OR +c.owner_id NOT IN (",
            blocked_owners!(),
            "))"
        )
    };
}

/// [`EXPIRING_SOON_DAYS`](super::EXPIRING_SOON_DAYS) in seconds, as SQL text (a test checks
/// the two agree).
macro_rules! soon {
    () => {
        "604800"
    };
}

/// The SQL condition of each status, with `?1` as now: the SQL form of
/// [`Credential::status`](super::Credential::status), tested against it.
const fn status_condition(status: Status) -> &'static str {
    match status {
        Status::Active => concat!(
            usable!(),
            " AND +c.renewed_at IS NULL AND c.expires_at > ?1 + ",
            soon!()
        ),
        Status::ExpiringSoon => concat!(
            usable!(),
            " AND +c.renewed_at IS NULL AND c.expires_at <= ?1 + ",
            soon!()
        ),
        Status::Superseded => concat!(usable!(), " AND +c.renewed_at IS NOT NULL"),
        Status::Blocked => concat!(live!(), " AND +c.owner_id IN (", blocked_owners!(), ")"),
        Status::Disabled => {
            "c.revoked_at IS NULL AND c.disabled_at IS NOT NULL AND c.expires_at > ?1"
        }
        Status::Expired => "c.revoked_at IS NULL AND c.expires_at <= ?1",
        Status::Revoked => "c.revoked_at IS NOT NULL",
    }
}

/// Neither revoked nor expired, `?1` being now.
macro_rules! unexpired {
    () => {
        "c.revoked_at IS NULL AND c.expires_at > ?1"
    };
}

/// The SQL condition of each check of the Health section, with `?1` as now (the day counts are
/// [`health`](super::health)'s constants in seconds; a test checks they agree).
const fn health_condition(check: HealthCheck) -> &'static str {
    match check {
        HealthCheck::NeverUsed => concat!(
            unexpired!(),
            " AND c.id NOT IN (SELECT credential_id FROM credential_usage)"
        ),
        HealthCheck::Unused => concat!(
            unexpired!(),
            " AND c.id IN (SELECT credential_id FROM credential_usage \
             WHERE last_used_at <= ?1 - 7776000)"
        ),
        HealthCheck::Expiring => concat!(
            unexpired!(),
            " AND c.renewed_at IS NULL AND c.expires_at <= ?1 + 2592000"
        ),
        HealthCheck::Old => concat!(unexpired!(), " AND c.created_at <= ?1 - 15724800"),
        HealthCheck::OwnerWithoutAccess => concat!(
            unexpired!(),
            " AND +c.owner_id IN (",
            blocked_owners!(),
            ")"
        ),
        HealthCheck::Leaked => concat!(
            unexpired!(),
            " AND c.id IN (SELECT value FROM json_each((SELECT CAST(value AS TEXT) FROM meta \
             WHERE key = 'last_scan'), '$.credentials'))"
        ),
        HealthCheck::RenewalFailing => {
            "c.revoked_at IS NULL AND c.id IN (SELECT credential_id FROM auto_renewals \
             WHERE last_failed_at IS NOT NULL)"
        }
    }
}

/// The statuses in the order of [`SortKey::Status`].
const STATUS_ORDER: [Status; 7] = Status::ALL;

const BY_EXPIRY: &[&str] = &["c.expires_at", "c.id"];

const fn status_segment(status: Status) -> Segment {
    Segment {
        from: CREDENTIALS_ONLY,
        condition: Some(status_condition(status)),
        order: BY_EXPIRY,
    }
}

const fn one_segment(order: &'static [&'static str]) -> Segment {
    Segment {
        from: CREDENTIALS_ONLY,
        condition: None,
        order,
    }
}

impl SortKey {
    /// Every order.
    pub const ALL: [SortKey; 7] = [
        SortKey::Name,
        SortKey::Kind,
        SortKey::Owner,
        SortKey::Created,
        SortKey::Expires,
        SortKey::Status,
        SortKey::LastUsed,
    ];

    /// The segments of this order, ascending.
    fn segments(self) -> Vec<Segment> {
        match self {
            SortKey::Name => vec![one_segment(&["c.name COLLATE NOCASE", "c.id"])],
            SortKey::Kind => vec![one_segment(&["c.kind", "c.id"])],
            SortKey::Created => vec![one_segment(&["c.created_at", "c.id"])],
            SortKey::Expires => vec![one_segment(BY_EXPIRY)],
            SortKey::Status => STATUS_ORDER.map(status_segment).to_vec(),
            SortKey::Owner => vec![
                Segment {
                    from: CREDENTIALS_ONLY,
                    condition: Some("c.owner_id IS NULL"),
                    order: &["c.id"],
                },
                Segment {
                    from: "users u CROSS JOIN credentials c ON c.owner_id = u.id",
                    condition: None,
                    order: &["u.name COLLATE NOCASE", "u.id", "c.id"],
                },
            ],
            SortKey::LastUsed => vec![
                Segment {
                    from: "credentials c LEFT JOIN credential_usage us ON us.credential_id = c.id",
                    condition: Some("us.credential_id IS NULL"),
                    order: &["c.id"],
                },
                Segment {
                    from: "credential_usage us CROSS JOIN credentials c ON c.id = us.credential_id",
                    condition: None,
                    order: &["us.last_used_at", "us.credential_id"],
                },
            ],
        }
    }
}

/// The filters of a query as SQL: conditions joined by AND, and their parameters (`?1` is
/// always now).
pub(super) struct Filter {
    pub clauses: Vec<String>,
    pub params: Vec<Value>,
}

impl CredentialQuery {
    /// The segments to walk, in the query's direction; with a status sort, only those of the
    /// statuses the filter keeps.
    pub(super) fn segments(&self) -> Vec<Segment> {
        let mut segments = self.sort.segments();
        if self.sort == SortKey::Status && !self.statuses.is_empty() {
            segments = STATUS_ORDER
                .into_iter()
                .filter(|status| self.statuses.contains(status))
                .map(status_segment)
                .collect();
        }
        if self.descending {
            segments.reverse();
        }
        segments
    }

    /// The search text, trimmed, if there is one.
    pub(super) fn search_text(&self) -> Option<&str> {
        self.search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    /// The filters as SQL, as of `now`, with the search carried out as `plan` says.
    pub(super) fn filter(&self, now: DateTime<Utc>, plan: SearchPlan) -> Filter {
        let mut clauses = Vec::new();
        let mut params = vec![Value::Integer(now.timestamp())];
        if let Some(kind) = self.kind {
            params.push(Value::Text(kind.as_str().into()));
            clauses.push(format!("c.kind = ?{}", params.len()));
        }
        if let Some(owner) = self.owner {
            params.push(Value::Integer(owner.0));
            clauses.push(format!("c.owner_id = ?{}", params.len()));
        }
        // A status sort keeps its statuses by choosing segments.
        if !self.statuses.is_empty() && self.sort != SortKey::Status {
            let any: Vec<String> = STATUS_ORDER
                .into_iter()
                .filter(|status| self.statuses.contains(status))
                .map(|status| format!("({})", status_condition(status)))
                .collect();
            clauses.push(format!("({})", any.join(" OR ")));
        }
        if let Some(days) = self.expires_within_days {
            let until = now + Duration::days(i64::from(days));
            params.push(Value::Integer(until.timestamp()));
            clauses.push(format!(
                "c.expires_at > ?1 AND c.expires_at <= ?{}",
                params.len()
            ));
        }
        if self.fold_renewed {
            clauses.push(
                "+c.id NOT IN (SELECT renewed_from FROM credentials WHERE renewed_from IS NOT NULL)"
                    .to_owned(),
            );
        }
        if let Some(check) = self.health {
            clauses.push(format!("({})", health_condition(check)));
        }
        if let Some(search) = self.search_text() {
            clauses.push(search_condition(search, plan, &mut params));
        }
        Filter { clauses, params }
    }
}

impl Filter {
    /// The parameters `statement` takes: those up to the highest it names (a statement that
    /// never names now, `?1`, takes none).
    pub(super) fn params_for(
        &self,
        statement: &rusqlite::Statement<'_>,
    ) -> rusqlite::ParamsFromIter<std::slice::Iter<'_, Value>> {
        rusqlite::params_from_iter(self.params[..statement.parameter_count()].iter())
    }
}

impl Segment {
    /// `FROM … WHERE …` of this segment under `filter`.
    pub(super) fn source_and_filter(&self, filter: &Filter) -> String {
        let conditions: Vec<&str> = filter
            .clauses
            .iter()
            .map(String::as_str)
            .chain(self.condition)
            .collect();
        if conditions.is_empty() {
            format!(" FROM {}", self.from)
        } else {
            format!(" FROM {} WHERE {}", self.from, conditions.join(" AND "))
        }
    }

    /// The ORDER BY clause, ascending or descending.
    pub(super) fn order_by(&self, descending: bool) -> String {
        let direction = if descending { " DESC" } else { "" };
        let terms: Vec<String> = self
            .order
            .iter()
            .map(|term| format!("{term}{direction}"))
            .collect();
        format!(" ORDER BY {}", terms.join(", "))
    }
}

/// How many leading characters of a search are compared with the stored token hint
/// (`ks_pat_` and four body characters).
const HINT_PREFIX_CHARS: usize = 11;

/// The shortest text the trigram index finds.
const TRIGRAM: usize = 3;

/// A search takes its candidates from the indexes while they are at most this share of the
/// credentials (1 in 4); one that finds more compares every row instead. Measured on 100,000
/// credentials: collecting candidates costs about what comparing a row does, and the
/// comparison finds a page of a dense search in its first rows.
const INDEXED_SEARCH_SHARE: u32 = 4;

/// A search with at most this many candidates looks each of them up and sorts them, rather
/// than walking the order's index past every credential to find them.
const FEW_CANDIDATES: u32 = 5_000;

/// How a search finds its credentials; each way exactly those whose name, description or
/// client ID holds the text (ASCII case-insensitively, as LIKE compares) or whose token starts
/// like it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SearchPlan {
    /// The row of each credential the order walks is compared: cheap when most match (the
    /// page is found in its first rows), and the count reads the table once.
    Compare,
    /// The trigram index of the texts and the index of token hints give the candidates, a
    /// superset of the matches (the trigram index also folds non-ASCII case), which are then
    /// compared while the order's index is walked: cheap when a few thousand match.
    Candidates,
    /// As [`SearchPlan::Candidates`], but each candidate is looked up by id and the matches
    /// are sorted: cheapest when at most [`FEW_CANDIDATES`] match, whatever the order.
    FewCandidates,
}

impl SearchPlan {
    /// The plan for `query`: candidates when its search is long enough for the trigram index
    /// and the indexes name few credentials. Counting them stops past that share, so a search
    /// most credentials match costs no full count of the index to decide.
    pub(super) fn for_query(
        conn: &rusqlite::Connection,
        query: &CredentialQuery,
    ) -> rusqlite::Result<SearchPlan> {
        let Some(search) = query.search_text().filter(|s| s.chars().count() >= TRIGRAM) else {
            return Ok(SearchPlan::Compare);
        };
        let credentials: u32 = conn
            .prepare_cached("SELECT count(*) FROM credentials")?
            .query_row([], |row| row.get(0))?;
        let most = credentials / INDEXED_SEARCH_SHARE;
        let candidates: u32 = conn
            .prepare_cached(
                "SELECT (SELECT count(*) FROM (SELECT 1 FROM credential_search
                                               WHERE credential_search MATCH ?1 LIMIT ?3))
                      + (SELECT count(*) FROM (SELECT 1 FROM credentials
                                               WHERE token_hint LIKE ?2 ESCAPE '\\' LIMIT ?3))",
            )?
            .query_row((phrase(search), hint_prefix(search), most + 1), |row| {
                row.get(0)
            })?;
        Ok(if candidates <= most.min(FEW_CANDIDATES) {
            SearchPlan::FewCandidates
        } else if candidates <= most {
            SearchPlan::Candidates
        } else {
            SearchPlan::Compare
        })
    }
}

/// `search` as one FTS5 phrase: its trigrams in a row, which is the text as a substring.
fn phrase(search: &str) -> String {
    format!("\"{}\"", search.replace('"', "\"\""))
}

/// The LIKE pattern of tokens starting like `search`: the stored hint is the token's first
/// characters, so a pasted token is found by them.
fn hint_prefix(search: &str) -> String {
    let hint: String = search.chars().take(HINT_PREFIX_CHARS).collect();
    format!("{}%", like_escape(&hint))
}

/// The condition that `search` finds a credential, carried out as `plan` says; see
/// [`SearchPlan`]. With candidates, their ids are tested while the order's index is walked
/// (`+c.id`: never looked up one by one and sorted); with few, they are looked up.
fn search_condition(search: &str, plan: SearchPlan, params: &mut Vec<Value>) -> String {
    params.push(Value::Text(format!("%{}%", like_escape(search))));
    let contains = params.len();
    params.push(Value::Text(hint_prefix(search)));
    let prefix = params.len();
    let compare = format!(
        "(c.name LIKE ?{contains} ESCAPE '\\' OR c.description LIKE ?{contains} ESCAPE '\\' \
         OR c.token_hint LIKE ?{prefix} ESCAPE '\\' OR c.client_id LIKE ?{contains} ESCAPE '\\')"
    );
    match plan {
        SearchPlan::Compare => compare,
        SearchPlan::Candidates | SearchPlan::FewCandidates => {
            params.push(Value::Text(phrase(search)));
            let phrase = params.len();
            let walked = if plan == SearchPlan::Candidates {
                "+"
            } else {
                ""
            };
            format!(
                "{walked}c.id IN (SELECT rowid FROM credential_search WHERE credential_search MATCH ?{phrase} \
                 UNION ALL SELECT id FROM credentials WHERE token_hint LIKE ?{prefix} ESCAPE '\\') \
                 AND {compare}"
            )
        }
    }
}

/// `text` with LIKE's wildcards, and the escape character itself, escaped by a backslash.
fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    /// The query plan of each segment's page and count, one line per step, with a search
    /// carried out as `plan` says.
    fn plans(conn: &Connection, query: &CredentialQuery, plan: SearchPlan) -> Vec<String> {
        let filter = query.filter(Utc::now(), plan);
        let mut lines = Vec::new();
        for segment in query.segments() {
            let source_and_filter = segment.source_and_filter(&filter);
            let page = format!(
                "SELECT c.id{source_and_filter}{} LIMIT 50",
                segment.order_by(query.descending)
            );
            for sql in [page, format!("SELECT count(*){source_and_filter}")] {
                let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
                let params = filter.params_for(&statement);
                let steps = statement
                    .query_map(params, |row| row.get::<_, String>(3))
                    .unwrap();
                lines.extend(steps.map(Result::unwrap));
            }
        }
        lines
    }

    /// No order, either way, and no status filter makes SQLite sort rows in a temporary
    /// B-tree: each walks an index (or the table in id order).
    #[test]
    fn every_order_and_status_filter_walks_an_index() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::vault::migrate_for_tests(&mut conn);
        let mut queries = Vec::new();
        for sort in SortKey::ALL {
            for descending in [false, true] {
                for fold_renewed in [false, true] {
                    queries.push(CredentialQuery {
                        sort,
                        descending,
                        fold_renewed,
                        ..CredentialQuery::default()
                    });
                }
            }
        }
        for status in STATUS_ORDER {
            for sort in [SortKey::Status, SortKey::Expires] {
                queries.push(CredentialQuery {
                    statuses: vec![status],
                    sort,
                    ..CredentialQuery::default()
                });
            }
        }
        // A search, testing candidates from the indexes or comparing rows, still walks the
        // order's index rather than sorting.
        let mut searches = Vec::new();
        for plan in [SearchPlan::Candidates, SearchPlan::Compare] {
            for sort in [SortKey::Created, SortKey::Name] {
                searches.push((searching(sort), plan));
            }
        }
        let walks = queries
            .into_iter()
            .map(|query| (query, SearchPlan::Compare));
        for (query, plan) in walks.chain(searches) {
            let steps = plans(&conn, &query, plan);
            assert!(
                steps.iter().all(|step| !step.contains("TEMP B-TREE")),
                "{query:?} ({plan:?}) sorts: {steps:#?}"
            );
        }
    }

    /// The health checks' day counts in the SQL are the constants'.
    #[test]
    fn the_health_checks_count_the_days_they_say() {
        use super::super::health::{EXPIRING_DAYS, OLD_DAYS, UNUSED_DAYS};
        let seconds = |days: u32| (i64::from(days) * 86_400).to_string();
        assert!(health_condition(HealthCheck::Unused).contains(&seconds(UNUSED_DAYS)));
        assert!(health_condition(HealthCheck::Expiring).contains(&seconds(EXPIRING_DAYS)));
        assert!(health_condition(HealthCheck::Old).contains(&seconds(OLD_DAYS)));
    }

    /// The SQL's window of "expiring soon" is the status rule's.
    #[test]
    fn the_sql_window_of_expiring_soon_is_the_rules() {
        let seconds: i64 = soon!().parse().unwrap();
        assert_eq!(
            seconds,
            Duration::days(i64::from(super::super::EXPIRING_SOON_DAYS)).num_seconds()
        );
    }

    /// A search with few candidates looks each up by id instead of walking past every
    /// credential, in every order.
    #[test]
    fn few_candidates_are_looked_up_not_walked_to() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::vault::migrate_for_tests(&mut conn);
        for sort in SortKey::ALL {
            let query = searching(sort);
            let steps = plans(&conn, &query, SearchPlan::FewCandidates);
            assert!(
                steps
                    .iter()
                    .all(|step| step.split_whitespace().take(2).ne(["SCAN", "c"])),
                "{query:?} walks every credential: {steps:#?}"
            );
            assert!(
                steps
                    .iter()
                    .any(|step| step.starts_with("SEARCH c ") && step.contains("id=?)")),
                "{query:?} does not look its candidates up: {steps:#?}"
            );
        }
    }

    /// A search for "bil" in `sort` order.
    fn searching(sort: SortKey) -> CredentialQuery {
        CredentialQuery {
            search: Some("bil".into()),
            sort,
            ..CredentialQuery::default()
        }
    }
}
