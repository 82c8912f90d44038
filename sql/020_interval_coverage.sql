-- 020: how completely each interval of each subreddit was read from Reddit. Safe to re-run.
--
-- A listing reaches back only ~1,000 items, so a busy subreddit's interval can be only partly
-- seen. `complete` is true when every second of the interval was covered by a listing walk that
-- reached back past it (both listings: posts and comments); otherwise `uncovered` lists the
-- spans ([{listing, start, end}], epoch seconds) and `est_missed_*` estimates what was created in
-- them from the rate the walks observed. `coverage` = observed / (observed + estimated missed).
-- Written by extract (one row per interval and subreddit, replaced on every fetch of it).
CREATE TABLE IF NOT EXISTS tickerpulse.interval_coverage (
    interval_start      timestamptz NOT NULL,
    subreddit           text        NOT NULL,
    interval_end        timestamptz NOT NULL,
    source              text        NOT NULL,  -- sweep | collector | replay
    complete            boolean     NOT NULL,
    coverage            double precision NOT NULL CHECK (coverage >= 0 AND coverage <= 1),
    covered_seconds     double precision NOT NULL CHECK (covered_seconds >= 0),
    window_seconds      double precision NOT NULL CHECK (window_seconds > 0),
    observed_posts      integer     NOT NULL CHECK (observed_posts >= 0),
    observed_comments   integer     NOT NULL CHECK (observed_comments >= 0),
    est_missed_posts    integer     NOT NULL CHECK (est_missed_posts >= 0),
    est_missed_comments integer     NOT NULL CHECK (est_missed_comments >= 0),
    uncovered           jsonb       NOT NULL DEFAULT '[]'::jsonb,
    requests            integer     NOT NULL DEFAULT 0 CHECK (requests >= 0),
    PRIMARY KEY (interval_start, subreddit),
    CHECK (complete = (jsonb_array_length(uncovered) = 0))
);
CREATE INDEX IF NOT EXISTS interval_coverage_incomplete
    ON tickerpulse.interval_coverage (interval_start) WHERE NOT complete;

-- Grafana shows it (Pipeline dashboard, coverage alert): nothing in it is private.
GRANT SELECT ON tickerpulse.interval_coverage TO tickerpulse_reader;
