-- The analysis for one day is recomputed whole: a re-run replaces it.
DELETE FROM tickerpulse.correlations WHERE computed_for = %(computed_for)s;
DELETE FROM tickerpulse.hit_rates WHERE computed_for = %(computed_for)s;
