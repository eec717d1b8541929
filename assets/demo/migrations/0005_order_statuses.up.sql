-- Service layer: a lookup table the new order service reads.
CREATE TABLE order_statuses (
    code VARCHAR(16) NOT NULL PRIMARY KEY,
    label VARCHAR(64) NOT NULL,
    is_final INTEGER NOT NULL
);
INSERT INTO order_statuses (code, label, is_final) VALUES
    ('pending', 'Pending; payment not yet captured', 0),
    ('shipped', 'Shipped', 1),
    ('cancelled', 'Cancelled by customer', 1);
