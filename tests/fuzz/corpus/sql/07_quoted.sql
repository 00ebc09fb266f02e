CREATE SOURCE "Raw Data" ("Device" VARCHAR(20), value DOUBLE PRECISION, ok BOOL, n INTEGER, t TIMESTAMP(3), PRIMARY_x REAL)
WITH (connector = 'generator', count = 1000, seed = 42);
CREATE VIEW "V" AS SELECT "Device", r.* FROM "Raw Data" AS r;
