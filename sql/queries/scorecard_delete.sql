-- A scorecard run for a day replaces that day's rows.
DELETE FROM tickerpulse.signal_scorecard WHERE computed_for = %(computed_for)s;
