ALTER TABLE products DROP COLUMN active;
