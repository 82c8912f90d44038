-- A synthetic warehouse for the serving benchmark and the panel tests: every serving table,
-- dense (every ticker in every 30-minute bucket), deterministic (hashes, not random()).
-- Parameters: %(end)s (exclusive, on a 30-minute boundary), %(days)s, %(tickers)s,
-- %(posts_per_ticker_day)s. Ticker i is 'T' || i (zero-padded); low i are the popular ones.
INSERT INTO tickerpulse.symbols (symbol, name, exchange)
SELECT 'T' || lpad(i::text, 3, '0'), 'Synthetic ' || i, 'NASDAQ'
FROM generate_series(1, %(tickers)s) AS i
ON CONFLICT (symbol) DO NOTHING;

CREATE TEMP TABLE seed_bucket ON COMMIT DROP AS
SELECT ts, extract(epoch FROM ts)::bigint AS epoch
FROM generate_series(%(end)s::timestamptz - %(days)s * interval '1 day',
                     %(end)s::timestamptz - interval '30 minutes',
                     interval '30 minutes') AS ts;

CREATE TEMP TABLE seed_ticker ON COMMIT DROP AS
SELECT i, 'T' || lpad(i::text, 3, '0') AS ticker, 100.0 + 3 * i AS base_price
FROM generate_series(1, %(tickers)s) AS i;

-- Price bars in US market hours (14:30-21:00 UTC) on weekdays.
INSERT INTO tickerpulse.prices (ticker, bar_size, bar_start, open, high, low, close, volume, source)
SELECT t.ticker, '30m', b.ts, p.px, p.px * 1.004, p.px * 0.996, p.px * (1 + p.drift),
       1000 + abs(hashint8(t.i * 7919 + b.epoch)) %% 100000, 'seed'
FROM seed_ticker t
CROSS JOIN seed_bucket b
CROSS JOIN LATERAL (
    SELECT t.base_price * (1 + 0.1 * sin(b.epoch / 86400.0 / 17 + t.i)) AS px,
           ((abs(hashint8(t.i * 31 + b.epoch)) %% 200) - 100) / 10000.0 AS drift
) p
WHERE extract(isodow FROM b.ts) < 6
  AND (b.ts AT TIME ZONE 'UTC')::time >= '14:30' AND (b.ts AT TIME ZONE 'UTC')::time < '21:00';

INSERT INTO tickerpulse.sentiment_30m (
    ticker, bucket_start, mentions, unique_authors, scored, raw_mean, weighted_mean, confidence,
    tier, price_close, price_change_pct
)
SELECT t.ticker, b.ts, m.mentions, greatest(1, m.mentions * 3 / 4), greatest(1, m.mentions * 9 / 10),
       round(s.wm * 0.8, 6), round(s.wm, 6), round(1 - exp(-m.mentions / 3.0), 6),
       CASE
           WHEN s.wm <= -0.3 THEN 'strong_bearish'
           WHEN s.wm <= -0.1 THEN 'bearish'
           WHEN s.wm < 0.1 THEN 'neutral'
           WHEN s.wm < 0.3 THEN 'bullish'
           ELSE 'strong_bullish'
       END,
       round((t.base_price * (1 + 0.1 * sin(b.epoch / 86400.0 / 17 + t.i)))::numeric, 4),
       round(((abs(hashint8(t.i * 31 + b.epoch)) %% 200) - 100) / 100.0, 4)
FROM seed_ticker t
CROSS JOIN seed_bucket b
CROSS JOIN LATERAL (
    SELECT (1 + abs(hashint8(t.i * 1000003 + b.epoch)) %% (3 + 400 / t.i))::integer AS mentions
) m
CROSS JOIN LATERAL (
    SELECT (0.7 * sin(b.epoch / 86400.0 / (2 + t.i %% 9) + t.i)
            + ((abs(hashint8(t.i * 17 + b.epoch)) %% 600) - 300) / 1000.0)::numeric AS wm
) s0
CROSS JOIN LATERAL (SELECT greatest(-1, least(1, s0.wm)) AS wm) s;

SELECT tickerpulse.rollup_sentiment_1d(%(end)s::timestamptz - %(days)s * interval '1 day',
                                       %(end)s::timestamptz - interval '30 minutes');

-- Posts and their sentiment: %(posts_per_ticker_day)s a day per ticker, at hashed times.
CREATE TEMP TABLE seed_post ON COMMIT DROP AS
SELECT 't3_' || t.i || '_' || d.n || '_' || k AS post_id,
       t.ticker,
       d.day + (abs(hashint8(t.i * 131 + d.n * 7 + k)) %% 86400) * interval '1 second' AS created_utc,
       abs(hashint8(t.i * 7 + d.n * 13 + k)) %% 500 AS score,
       ((abs(hashint8(t.i * 3 + d.n * 5 + k)) %% 2000) - 1000) / 1000.0 AS sentiment,
       k
FROM seed_ticker t
CROSS JOIN (
    SELECT n, %(end)s::timestamptz - n * interval '1 day' AS day
    FROM generate_series(1, %(days)s) AS n
) d
CROSS JOIN generate_series(1, %(posts_per_ticker_day)s) AS k;

INSERT INTO tickerpulse.posts (
    post_id, kind, subreddit, author_hash, title, body, created_utc, score, num_comments,
    parent_id, permalink, content_hash, simhash, tickers, interval_start
)
SELECT post_id, 'post', (ARRAY['wallstreetbets', 'stocks', 'investing'])[1 + k %% 3],
       md5('author' || (k %% 50)), 'Why ' || ticker || ' is going to move', 'body of ' || post_id,
       created_utc, score, score / 10, NULL,
       '/r/stocks/comments/' || post_id || '/', md5(post_id), hashtext(post_id)::bigint,
       ARRAY[ticker], date_bin('30 minutes', created_utc, '2000-01-01 00:00:00+00')
FROM seed_post;

INSERT INTO tickerpulse.post_sentiment (
    post_id, ticker, scorer_version, status, score, label, reasoning, scorer, mention_kind,
    mention_weight, interval_start
)
SELECT post_id, ticker, 'offline-v1', 'scored', round(sentiment, 4),
       CASE WHEN sentiment > 0.1 THEN 'bullish' WHEN sentiment < -0.1 THEN 'bearish' ELSE 'neutral' END,
       'synthetic reasoning for ' || ticker, 'offline', 'cashtag', 1.0,
       date_bin('30 minutes', created_utc, '2000-01-01 00:00:00+00')
FROM seed_post;

-- One pipeline run per bucket, with a few quarantined rows and expectation results.
INSERT INTO tickerpulse.pipeline_runs (
    interval_start, interval_end, extracted, quarantined, duplicates, bots, loaded, with_tickers,
    scored, unscored, llm_calls, tokens_in, tokens_out, cost_usd, cache_hits, scorer_version,
    dq_docs_path
)
SELECT ts, ts + interval '30 minutes', q + d + bt + 400, q, d, bt, 400, 300, 290, 10,
       12, 40000, 6000, 0.0096, 3, 'offline-v1',
       '/data_docs/validations/' || to_char(ts AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MI') || '.html'
FROM seed_bucket
CROSS JOIN LATERAL (
    SELECT (epoch / 1800 %% 4)::integer AS q, (epoch / 1800 %% 7)::integer AS d,
           (epoch / 1800 %% 3)::integer AS bt
) c;

-- The per-call LLM trace behind llm_calls in pipeline_runs: 12 calls per interval, one in six
-- answered 429 (then retried) and one in twelve a 500.
INSERT INTO tickerpulse.llm_calls (
    run_key, interval_start, shard_no, call_no, model, posts, tokens_in, tokens_out, cost_usd,
    status, attempt, latency_s
)
SELECT 'scheduled__' || to_char(b.ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS'), b.ts, 0, c,
       'gpt-4o-mini', 25,
       CASE WHEN c %% 6 = 0 OR c %% 12 = 5 THEN 0 ELSE 4000 END,
       CASE WHEN c %% 6 = 0 OR c %% 12 = 5 THEN 0 ELSE 600 END,
       CASE WHEN c %% 6 = 0 OR c %% 12 = 5 THEN 0 ELSE 0.00096 END,
       CASE WHEN c %% 6 = 0 THEN '429' WHEN c %% 12 = 5 THEN '500' ELSE 'ok' END,
       1 + (c %% 6 = 0)::integer, 0.6 + (c %% 5) * 0.1
FROM seed_bucket b
CROSS JOIN generate_series(0, 11) AS c;

INSERT INTO tickerpulse.quarantine (interval_start, subreddit, record_no, record_id, reason, raw_json)
SELECT b.ts, 'stocks', r, 'bad_' || r,
       (ARRAY['missing_id', 'bad_created_utc', 'empty_text', 'bad_score'])[1 + (b.epoch / 1800 + r) %% 4],
       '{}'
FROM seed_bucket b
CROSS JOIN generate_series(1, 1 + (b.epoch / 1800 %% 3)::integer) AS r;

INSERT INTO tickerpulse.dq_results (
    interval_start, suite, expectation, column_name, success, element_count, unexpected_count,
    details, docs_path
)
SELECT b.ts, 'reddit_raw', e.name, e.col, NOT (e.name = 'expect_column_values_to_not_be_null'
                                                AND b.epoch / 1800 %% 5 = 0),
       500, CASE WHEN e.name = 'expect_column_values_to_not_be_null' AND b.epoch / 1800 %% 5 = 0
                 THEN 3 ELSE 0 END,
       '{}'::jsonb,
       '/data_docs/validations/' || to_char(b.ts AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MI') || '.html'
FROM seed_bucket b
CROSS JOIN (VALUES ('expect_column_values_to_not_be_null', 'id'),
                   ('expect_column_values_to_be_unique', 'id'),
                   ('expect_column_values_to_be_between', 'score'),
                   ('expect_table_columns_to_match_set', ''),
                   ('expect_column_values_to_match_regex', 'id')) AS e(name, col);

INSERT INTO tickerpulse.task_runs (
    dag_id, run_id, task_id, map_index, try_number, interval_start, state, start_date, end_date,
    duration_s
)
SELECT 'reddit_sentiment', 'scheduled__' || b.ts, tk.task_id, -1, 1, b.ts, 'success',
       b.ts + interval '30 minutes' + tk.ord * interval '20 seconds',
       b.ts + interval '30 minutes' + tk.ord * interval '20 seconds'
           + (2 + (b.epoch / 1800 + tk.ord) %% 9) * interval '1 second',
       2 + (b.epoch / 1800 + tk.ord) %% 9
FROM seed_bucket b
CROSS JOIN (VALUES (1, 'extract'), (2, 'validate'), (3, 'filter'), (4, 'plan_batches'),
                   (5, 'score'), (6, 'prices'), (7, 'load'), (8, 'aggregate')) AS tk(ord, task_id);

-- What the analysis job will write: daily correlations and hit rates per ticker.
INSERT INTO tickerpulse.correlations (
    ticker, horizon, metric, n, pearson, pearson_p, spearman, spearman_p, best_lag, computed_for
)
SELECT t.ticker, h.horizon, 'weighted_mean', 200 + t.i %% 50,
       round((sin(t.i + d.n) * 0.3)::numeric, 4), 0.01 + (t.i %% 10) / 100.0,
       round((cos(t.i + d.n) * 0.3)::numeric, 4), 0.02 + (t.i %% 10) / 100.0, t.i %% 4,
       (%(end)s::timestamptz AT TIME ZONE 'UTC')::date - d.n
FROM seed_ticker t
CROSS JOIN generate_series(1, %(days)s) AS d(n)
CROSS JOIN (VALUES ('30m'), ('1d')) AS h(horizon);

INSERT INTO tickerpulse.hit_rates (ticker, computed_for, n, hit_rate, baseline_up_rate)
SELECT t.ticker, (%(end)s::timestamptz AT TIME ZONE 'UTC')::date - d.n, 200 + t.i %% 50,
       0.45 + (t.i %% 20) / 100.0, 0.5 + (t.i %% 7) / 100.0
FROM seed_ticker t
CROSS JOIN generate_series(1, %(days)s) AS d(n);
