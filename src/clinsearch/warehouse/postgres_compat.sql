-- The DuckDB functions clinsearch's SQL uses that PostgreSQL lacks, made in the warehouse's
-- schema (warehouse/postgres.py, at each writer's opening): same names, same results.

-- list_contains(list, value): the list holds the value
CREATE OR REPLACE FUNCTION list_contains(anycompatiblearray, anycompatible) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$ SELECT $2 = ANY($1) $$;

-- date_sub(part, start, end): the number of whole parts (years, months, days) from start to end
CREATE OR REPLACE FUNCTION date_sub(part text, a date, b date) RETURNS bigint
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE lower(part)
        WHEN 'year' THEN (extract(year FROM age(b, a)))::bigint
        WHEN 'month' THEN (extract(year FROM age(b, a)) * 12 + extract(month FROM age(b, a)))::bigint
        WHEN 'day' THEN (b - a)::bigint
    END $$;
CREATE OR REPLACE FUNCTION date_sub(part text, a timestamp, b timestamp) RETURNS bigint
    LANGUAGE sql IMMUTABLE AS $$ SELECT date_sub(part, a::date, b::date) $$;

-- date_diff(part, start, end): the number of part boundaries crossed from start to end
CREATE OR REPLACE FUNCTION date_diff(part text, a date, b date) RETURNS bigint
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE lower(part)
        WHEN 'year' THEN (extract(year FROM b) - extract(year FROM a))::bigint
        WHEN 'month' THEN ((extract(year FROM b) - extract(year FROM a)) * 12 + extract(month FROM b) - extract(month FROM a))::bigint
        WHEN 'day' THEN (b - a)::bigint
    END $$;

-- any_value(x): one of the values of the group (PostgreSQL 16 has its own)
CREATE OR REPLACE FUNCTION _any_value_step(anyelement, anyelement) RETURNS anyelement
    LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce($1, $2) $$;
CREATE OR REPLACE AGGREGATE any_value(anyelement) (SFUNC = _any_value_step, STYPE = anyelement);

-- quantile_cont(x, q): the continuous quantile q of x (PostgreSQL's percentile_cont)
CREATE OR REPLACE FUNCTION _quantile_step(double precision[], double precision, double precision) RETURNS double precision[]
    LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN $2 IS NULL THEN coalesce($1, ARRAY[$3]) ELSE coalesce($1, ARRAY[$3]) || $2 END $$;
CREATE OR REPLACE FUNCTION _quantile_final(double precision[]) RETURNS double precision
    LANGUAGE sql IMMUTABLE AS $$
    SELECT percentile_cont(($1)[1]) WITHIN GROUP (ORDER BY v) FROM unnest(($1)[2:]) AS v $$;
CREATE OR REPLACE AGGREGATE quantile_cont(double precision, double precision) (
    SFUNC = _quantile_step, STYPE = double precision[], FINALFUNC = _quantile_final);

-- round(x, digits) of a double (PostgreSQL rounds numerics only)
CREATE OR REPLACE FUNCTION round(double precision, bigint) RETURNS double precision
    LANGUAGE sql IMMUTABLE AS $$ SELECT round($1::numeric, $2::integer)::double precision $$;
CREATE OR REPLACE FUNCTION round(double precision, integer) RETURNS double precision
    LANGUAGE sql IMMUTABLE AS $$ SELECT round($1::numeric, $2)::double precision $$;

-- strip_accents(text): the text without its diacritics (Latin letters, as DuckDB's)
CREATE OR REPLACE FUNCTION strip_accents(text) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
    SELECT translate($1, 'àáâãäåçèéêëìíîïñòóôõöùúûüýÿÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝŸ',
                         'aaaaaaceeeeiiiinooooouuuuyyAAAAAACEEEEIIIINOOOOOUUUUYY') $$;

-- arg_max(value, day): the value of the latest day (a measurement's latest value)
CREATE OR REPLACE FUNCTION _arg_max_step(double precision[], double precision, date) RETURNS double precision[]
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN $3 IS NULL THEN $1 WHEN $1 IS NULL OR ($3 - DATE '1970-01-01') > $1[2] THEN ARRAY[$2, ($3 - DATE '1970-01-01')::double precision] ELSE $1 END $$;
CREATE OR REPLACE FUNCTION _arg_max_final(double precision[]) RETURNS double precision
    LANGUAGE sql IMMUTABLE AS $$ SELECT $1[1] $$;
CREATE OR REPLACE AGGREGATE arg_max(double precision, date) (SFUNC = _arg_max_step, STYPE = double precision[], FINALFUNC = _arg_max_final);

-- to_days(n): an interval of n days (a pseudonymised export's date shift)
CREATE OR REPLACE FUNCTION to_days(bigint) RETURNS interval
    LANGUAGE sql IMMUTABLE AS $$ SELECT make_interval(days => $1::integer) $$;
