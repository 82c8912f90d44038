-- 050: options intent per mention. Safe to re-run.
--
-- What a (post, ticker) mention says about options on that ticker, read from the text by
-- include/tickerpulse/options_intent.py at load time: whether it talks calls, puts or both, the
-- first strike and expiry written next to them, and whether it buys or sells where the text says
-- so. NULL everywhere when the mention does not talk options. The rollups count calls and puts per
-- ticker and bucket from these columns (sql/051_surge_signals.sql).
ALTER TABLE tickerpulse.post_sentiment ADD COLUMN IF NOT EXISTS option_side text;
ALTER TABLE tickerpulse.post_sentiment ADD COLUMN IF NOT EXISTS option_strike double precision;
ALTER TABLE tickerpulse.post_sentiment ADD COLUMN IF NOT EXISTS option_expiry date;
ALTER TABLE tickerpulse.post_sentiment ADD COLUMN IF NOT EXISTS option_action text;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conname = 'post_sentiment_option_side_check') THEN
        ALTER TABLE tickerpulse.post_sentiment ADD CONSTRAINT post_sentiment_option_side_check
            CHECK (option_side IN ('call', 'put', 'both'));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conname = 'post_sentiment_option_action_check') THEN
        ALTER TABLE tickerpulse.post_sentiment ADD CONSTRAINT post_sentiment_option_action_check
            CHECK (option_action IN ('buy', 'sell'));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conname = 'post_sentiment_option_strike_check') THEN
        ALTER TABLE tickerpulse.post_sentiment ADD CONSTRAINT post_sentiment_option_strike_check
            CHECK (option_strike > 0);
    END IF;
END
$$;
