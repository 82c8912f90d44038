-- 001: the warehouse schema. Safe to re-run: every statement is IF NOT EXISTS or guarded.
CREATE SCHEMA IF NOT EXISTS tickerpulse;

-- Every post or comment that was loaded. The Reddit fullname is the key; interval_start is the
-- 30-minute partition the row belongs to, so a re-run replaces exactly that partition.
CREATE TABLE IF NOT EXISTS tickerpulse.posts (
    post_id          text PRIMARY KEY,     -- Reddit fullname: t3_… post, t1_… comment
    kind             text NOT NULL CHECK (kind IN ('post', 'comment')),
    subreddit        text NOT NULL,
    author_hash      text,                 -- salted SHA-256 of the Reddit user name
    title            text,
    body             text,
    created_utc      timestamptz NOT NULL,
    score            bigint,
    num_comments     bigint,
    parent_id        text,
    permalink        text,
    content_hash     text NOT NULL,
    simhash          bigint NOT NULL,
    tickers          text[] NOT NULL DEFAULT '{}',
    interval_start   timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS posts_interval_idx ON tickerpulse.posts (interval_start);
CREATE INDEX IF NOT EXISTS posts_created_idx ON tickerpulse.posts (created_utc);

-- One sentiment per (post, ticker, scorer version). Reasoning is kept so every number on a
-- dashboard can be explained. Unscored rows say why.
CREATE TABLE IF NOT EXISTS tickerpulse.post_sentiment (
    post_id          text NOT NULL REFERENCES tickerpulse.posts (post_id) ON DELETE CASCADE,
    ticker           text NOT NULL,
    scorer_version   text NOT NULL,
    status           text NOT NULL CHECK (status IN ('scored', 'unscored')),
    score            double precision CHECK (score BETWEEN -1 AND 1),
    label            text,
    reasoning        text,
    scorer           text NOT NULL,
    model            text,
    prompt_version   text,
    unscored_reason  text,
    tokens_in        bigint NOT NULL DEFAULT 0,
    tokens_out       bigint NOT NULL DEFAULT 0,
    mention_kind     text NOT NULL,        -- cashtag | symbol | alias
    mention_weight   double precision NOT NULL CHECK (mention_weight > 0 AND mention_weight <= 1),
    interval_start   timestamptz NOT NULL,
    PRIMARY KEY (post_id, ticker, scorer_version)
);
CREATE INDEX IF NOT EXISTS post_sentiment_ticker_idx
    ON tickerpulse.post_sentiment (ticker, interval_start);

-- Price bars, a cache as much as a fact table: a fetch only asks for what is missing.
CREATE TABLE IF NOT EXISTS tickerpulse.prices (
    ticker      text NOT NULL,
    bar_size    text NOT NULL,
    bar_start   timestamptz NOT NULL,
    open        double precision,
    high        double precision,
    low         double precision,
    close       double precision,
    volume      bigint,
    source      text NOT NULL,
    PRIMARY KEY (ticker, bar_size, bar_start)
);

-- The 30-minute rollup per ticker that Grafana reads.
CREATE TABLE IF NOT EXISTS tickerpulse.sentiment_30m (
    ticker           text NOT NULL,
    bucket_start     timestamptz NOT NULL,
    mentions         integer NOT NULL,
    unique_authors   integer NOT NULL,
    scored           integer NOT NULL,
    raw_mean         double precision,
    weighted_mean    double precision,
    confidence       double precision,
    tier             text,
    price_close      double precision,
    price_change_pct double precision,
    PRIMARY KEY (ticker, bucket_start)
);
CREATE INDEX IF NOT EXISTS sentiment_30m_bucket_idx ON tickerpulse.sentiment_30m (bucket_start);

-- One row per expectation result per interval; docs_path points at the Data Docs page.
CREATE TABLE IF NOT EXISTS tickerpulse.dq_results (
    interval_start   timestamptz NOT NULL,
    suite            text NOT NULL,
    expectation      text NOT NULL,
    column_name      text NOT NULL DEFAULT '',
    success          boolean NOT NULL,
    element_count    bigint,
    unexpected_count bigint,
    details          jsonb,
    docs_path        text,
    PRIMARY KEY (interval_start, suite, expectation, column_name)
);

-- Records that failed row-level checks, kept whole with the reason.
CREATE TABLE IF NOT EXISTS tickerpulse.quarantine (
    interval_start   timestamptz NOT NULL,
    subreddit        text NOT NULL,
    record_no        bigint NOT NULL,
    record_id        text,
    reason           text NOT NULL,
    raw_json         text NOT NULL,
    PRIMARY KEY (interval_start, subreddit, record_no)
);

-- Records dropped by the noise filters, with the reason (duplicate, near_duplicate, bot:*).
CREATE TABLE IF NOT EXISTS tickerpulse.dropped (
    interval_start   timestamptz NOT NULL,
    post_id          text NOT NULL,
    reason           text NOT NULL,
    duplicate_of     text,
    PRIMARY KEY (interval_start, post_id)
);

-- Counts per stage per interval. Keyed by interval, not by run, so a re-run replaces them.
CREATE TABLE IF NOT EXISTS tickerpulse.pipeline_runs (
    interval_start   timestamptz PRIMARY KEY,
    interval_end     timestamptz NOT NULL,
    extracted        integer NOT NULL,
    quarantined      integer NOT NULL,
    duplicates       integer NOT NULL,
    bots             integer NOT NULL,
    loaded           integer NOT NULL,
    with_tickers     integer NOT NULL,
    scored           integer NOT NULL,
    unscored         integer NOT NULL,
    llm_calls        integer NOT NULL,
    tokens_in        bigint NOT NULL,
    tokens_out       bigint NOT NULL,
    cost_usd         numeric(12, 6) NOT NULL,
    cache_hits       integer NOT NULL,
    scorer_version   text NOT NULL,
    dq_docs_path     text,
    CHECK (extracted = loaded + quarantined + duplicates + bots)
);

-- The exchange symbol directory, with the ambiguity weight used by the extractor.
CREATE TABLE IF NOT EXISTS tickerpulse.symbols (
    symbol      text PRIMARY KEY,
    name        text NOT NULL,
    exchange    text,
    is_etf      boolean NOT NULL DEFAULT false,
    test_issue  boolean NOT NULL DEFAULT false,
    ambiguity   double precision NOT NULL DEFAULT 1.0 CHECK (ambiguity > 0 AND ambiguity <= 1)
);
