ALTER TABLE orders DROP COLUMN total_cents;
DROP INDEX idx_order_items_order;
