SELECT DISTINCT ticker FROM tickerpulse.sentiment_30m ORDER BY ticker
