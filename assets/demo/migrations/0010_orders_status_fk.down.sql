DROP INDEX idx_orders_status_day;
