-- createTableSql()
SELECT pg_advisory_xact_lock(hashtext('mds-vault ddl'), hashtext('"dds"."esk_gold_two"'));
CREATE TABLE IF NOT EXISTS "dds"."esk_gold_two" (
    "link3_hk" bytea NOT NULL CHECK (octet_length("link3_hk") = 16),
    "customer_hk" bytea NOT NULL,
    "nation_hk" bytea NOT NULL,
    "start_date" timestamp with time zone,
    "end_date" timestamp with time zone NOT NULL,
    "load_date" timestamp with time zone NOT NULL,
    "record_source" text NOT NULL,
    PRIMARY KEY ("link3_hk", "load_date")
);
COMMENT ON TABLE "dds"."esk_gold_two" IS 'mds vault table; hashes CANONICAL MD5';
CREATE INDEX IF NOT EXISTS "esk_gold_two_customer_hk_idx" ON "dds"."esk_gold_two" ("customer_hk", "nation_hk", "load_date");
-- sql()
SELECT pg_advisory_xact_lock(hashtext('mds-vault'), hashtext('"dds"."esk_gold_two"')); LOCK TABLE "dds"."esk_gold_two" IN SHARE ROW EXCLUSIVE MODE;
SET LOCAL enable_nestloop = off;
WITH active AS (
    SELECT DISTINCT ON (s."customer_hk", s."nation_hk") s."link3_hk", s."customer_hk", s."nation_hk", s."since" AS start_date, CAST(NULL AS timestamp with time zone) AS "stop", s."load_date", s."record_source"
    FROM "stg"."esk_gold" AS s
    WHERE s."link3_hk" IS NOT NULL AND s."customer_hk" IS NOT NULL AND s."nation_hk" IS NOT NULL AND s."since" IS NOT NULL
    ORDER BY s."customer_hk", s."nation_hk", s."since" DESC, s."load_date" DESC, s."link3_hk", s."record_source"::text COLLATE "C"
),
latest AS (
    SELECT l.* FROM active AS k CROSS JOIN LATERAL (
        SELECT DISTINCT ON (e."link3_hk") e.* FROM "dds"."esk_gold_two" AS e
        WHERE e."customer_hk" = k."customer_hk" AND e."nation_hk" = k."nation_hk" ORDER BY e."link3_hk", e."load_date" DESC) AS l
),
open AS (SELECT * FROM latest WHERE "end_date" >= '9999-12-31 00:00:00+00'::timestamp with time zone),
settled AS (
    SELECT l."customer_hk", l."nation_hk", max(l."end_date") AS "end_date", max(l."load_date") AS "load_date" FROM latest AS l
    WHERE NOT EXISTS (SELECT 1 FROM open AS o WHERE o."customer_hk" = l."customer_hk" AND o."nation_hk" = l."nation_hk")
    GROUP BY l."customer_hk", l."nation_hk"
),
current AS (
    SELECT a.* FROM active AS a
    WHERE NOT EXISTS (SELECT 1 FROM open AS o WHERE o."customer_hk" = a."customer_hk" AND o."nation_hk" = a."nation_hk"
        AND (o."start_date" > a.start_date OR o."load_date" >= a."load_date"))
    AND NOT EXISTS (SELECT 1 FROM settled AS z WHERE z."customer_hk" = a."customer_hk" AND z."nation_hk" = a."nation_hk"
        AND (z."end_date" > a.start_date OR z."load_date" >= a."load_date"))
),
changes AS (
    SELECT a."link3_hk", a."customer_hk", a."nation_hk", a.start_date AS "start_date", '9999-12-31 00:00:00+00'::timestamp with time zone AS "end_date", a."load_date", a."record_source"
    FROM current AS a WHERE a."stop" IS NULL AND NOT EXISTS (SELECT 1 FROM open AS o WHERE o."link3_hk" = a."link3_hk")
    UNION ALL
    SELECT a."link3_hk", a."customer_hk", a."nation_hk", COALESCE(o."start_date", a.start_date), a."stop", a."load_date", COALESCE(o."record_source", a."record_source")
    FROM current AS a LEFT JOIN open AS o ON o."link3_hk" = a."link3_hk" WHERE a."stop" IS NOT NULL
    UNION ALL
    SELECT o."link3_hk", o."customer_hk", o."nation_hk", o."start_date", a.start_date, a."load_date", o."record_source"
    FROM open AS o JOIN current AS a ON a."customer_hk" = o."customer_hk" AND a."nation_hk" = o."nation_hk" AND a."link3_hk" <> o."link3_hk"
),
inserted AS (
INSERT INTO "dds"."esk_gold_two" ("link3_hk", "customer_hk", "nation_hk", "start_date", "end_date", "load_date", "record_source")
SELECT * FROM changes
RETURNING 1
)
SELECT (SELECT count(*) FROM inserted) AS inserted,
    (SELECT count(*) FROM active AS a
     LEFT JOIN open AS o ON o."customer_hk" = a."customer_hk" AND o."nation_hk" = a."nation_hk"
     LEFT JOIN settled AS z ON z."customer_hk" = a."customer_hk" AND z."nation_hk" = a."nation_hk"
     LEFT JOIN latest AS l ON l."link3_hk" = a."link3_hk"
     LEFT JOIN current AS k ON k."customer_hk" = a."customer_hk" AND k."nation_hk" = a."nation_hk"
     WHERE k."customer_hk" IS NULL
     AND (o."customer_hk" IS NOT NULL AND (o."link3_hk" <> a."link3_hk" OR a."stop" IS NOT NULL)
          OR z."customer_hk" IS NOT NULL AND (l."link3_hk" IS NULL OR l."load_date" < a."load_date"))) AS skipped;
