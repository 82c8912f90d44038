-- 051: what traders look for beside sentiment: a baseline-aware surge score with a trend, options
-- intent (calls, puts, put/call ratio) and upvotes, per ticker and 30-minute bucket. Safe to re-run.
--
-- * sentiment_30m gains the columns; sql/queries/aggregate_signals.sql fills them for a bucket
--   right after aggregate_interval.sql rebuilt its rows (the aggregate stage, and late_scores).
--   surge_z is a robust z-score of the bucket's unique authors against the same ticker's history
--   (median and MAD over the same hour of the week when enough of it exists, else over all
--   hours); NULL with surge_basis = 'insufficient_history' while the ticker is too new.
-- * ticker_subreddit_30m: the same bucket split by subreddit, as sums that add up over buckets
--   and subreddits (counts, score sums, decayed weight sums), so any window of whole buckets and
--   any subreddit filter gives the exact weighted mean and confidence of the rollup formula
--   without reading posts. The JSON API's leaderboard reads it.
ALTER TABLE tickerpulse.sentiment_30m ADD COLUMN IF NOT EXISTS upvotes bigint;
ALTER TABLE tickerpulse.sentiment_30m ADD COLUMN IF NOT EXISTS calls integer;
ALTER TABLE tickerpulse.sentiment_30m ADD COLUMN IF NOT EXISTS puts integer;
ALTER TABLE tickerpulse.sentiment_30m ADD COLUMN IF NOT EXISTS put_call_ratio double precision;
ALTER TABLE tickerpulse.sentiment_30m ADD COLUMN IF NOT EXISTS surge_z double precision;
ALTER TABLE tickerpulse.sentiment_30m ADD COLUMN IF NOT EXISTS surge_baseline double precision;
ALTER TABLE tickerpulse.sentiment_30m ADD COLUMN IF NOT EXISTS surge_scale double precision;
ALTER TABLE tickerpulse.sentiment_30m ADD COLUMN IF NOT EXISTS surge_basis text;
ALTER TABLE tickerpulse.sentiment_30m ADD COLUMN IF NOT EXISTS surge_samples integer;
ALTER TABLE tickerpulse.sentiment_30m ADD COLUMN IF NOT EXISTS surge_history_days double precision;
ALTER TABLE tickerpulse.sentiment_30m ADD COLUMN IF NOT EXISTS trend text;

CREATE TABLE IF NOT EXISTS tickerpulse.ticker_subreddit_30m (
    ticker              text NOT NULL,
    bucket_start        timestamptz NOT NULL,
    subreddit           text NOT NULL,
    mentions            integer NOT NULL,           -- distinct posts
    unique_authors      integer NOT NULL,
    upvotes             bigint NOT NULL,            -- sum of max(post score, 0)
    scored              integer NOT NULL,
    score_sum           double precision NOT NULL,  -- sum of scores
    score_sq_sum        double precision NOT NULL,  -- sum of squared scores (the spread)
    weight_sum          double precision NOT NULL,  -- sum of weights, decayed to the bucket end
    weighted_score_sum  double precision NOT NULL,  -- sum of weight * score
    calls               integer NOT NULL,
    puts                integer NOT NULL,
    PRIMARY KEY (ticker, bucket_start, subreddit)
);
CREATE INDEX IF NOT EXISTS ticker_subreddit_30m_bucket_idx
    ON tickerpulse.ticker_subreddit_30m (bucket_start);
GRANT SELECT ON tickerpulse.ticker_subreddit_30m TO tickerpulse_reader;
