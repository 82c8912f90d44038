SELECT count(*), coalesce(sum(mentions), 0)
FROM tickerpulse.sentiment_30m
WHERE bucket_start = %(bucket_start)s;
