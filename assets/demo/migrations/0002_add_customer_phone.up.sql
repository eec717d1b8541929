-- Simple replacement: a nullable column, no rewrite.
ALTER TABLE customers ADD COLUMN phone VARCHAR(32);
