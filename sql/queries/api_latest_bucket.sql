-- The end of the latest bucket the JSON API can serve: where "now" is for a leaderboard without
-- an explicit end.
SELECT max(bucket_start) + interval '30 minutes' FROM tickerpulse.ticker_subreddit_30m;
