-- Intervals a listing could not read completely: the seconds no listing walk covered, what the
-- observed rate says was missed there, and how the interval was read (sweep or collector). The
-- first uncovered span is shown; `uncovered` in interval_coverage lists them all.
SELECT interval_start AS "interval",
       subreddit,
       source,
       round(100 * coverage::numeric, 2)::double precision AS coverage_pct,
       round((window_seconds - covered_seconds)::numeric / 60, 1)::double precision
           AS uncovered_min,
       observed_posts + observed_comments AS observed,
       est_missed_posts + est_missed_comments AS est_missed,
       jsonb_array_length(uncovered) AS spans,
       uncovered -> 0 ->> 'listing' AS first_span_listing,
       to_timestamp((uncovered -> 0 ->> 'start')::double precision) AS first_span_from,
       to_timestamp((uncovered -> 0 ->> 'end')::double precision) AS first_span_to
FROM tickerpulse.interval_coverage
WHERE $__timeFilter(interval_start) AND NOT complete
ORDER BY interval_start DESC, subreddit
LIMIT 200
