-- Written for SQLite and PostgreSQL; MySQL's form is DROP INDEX ... ON orders.
DROP INDEX idx_orders_customer;
