/* a block comment
   over two lines */
create source "Readings" ( -- a line comment
    "Device" text, Val double
) with (connector = 'file', path = 'r.jsonl');
CrEaTe SiNk out WITH (connector = 'file', path = 'out.jsonl') AS
    select "Device", val * 2 AS "Doubled", /* inline */ VAL AS plain, 'it''s' AS q
    FROM "Readings" where vAl > 1; -- done
