SELECT mentions, round(weighted_mean::numeric, 3) AS sentiment,
       tickerpulse.sentiment_tier(weighted_mean) AS tier, round(confidence::numeric, 2) AS confidence
FROM tickerpulse.ticker_totals($__timeFrom(), $__timeTo())
WHERE ticker = ${ticker:sqlstring}
