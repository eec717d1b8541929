-- Service layer: denormalised totals, backfilled from the items.
CREATE INDEX idx_order_items_order ON order_items (order_id);
ALTER TABLE orders ADD COLUMN total_cents INTEGER;
UPDATE orders SET total_cents = (
    SELECT SUM(i.quantity * i.price_cents) FROM order_items i WHERE i.order_id = orders.id
);
