-- Complex: every order's status must name a known status.
CREATE INDEX idx_orders_status_day ON orders (status, ordered_day);
UPDATE orders SET status = 'pending' WHERE status NOT IN (SELECT code FROM order_statuses);
