-- The SQLite/PostgreSQL form. On MySQL/MariaDB cutover sends it as
-- ALTER TABLE orders DROP INDEX ..., giving the foreign key on customer_id its own
-- index back (MySQL dropped that one when this index was created).
DROP INDEX idx_orders_customer;
