-- Complex: split a column in two and backfill every row.
ALTER TABLE customers ADD COLUMN first_name VARCHAR(50);
ALTER TABLE customers ADD COLUMN last_name VARCHAR(50);
UPDATE customers SET first_name = SUBSTR(name, 1, 8), last_name = SUBSTR(name, 10, 20);
