-- The shop as it runs in production before the window: customers, products,
-- orders and their items, 201,000 rows generated deterministically.
-- Portable SQL: the same file runs on SQLite, PostgreSQL and MariaDB/MySQL.
CREATE TABLE demo_digits (d INTEGER NOT NULL PRIMARY KEY);
INSERT INTO demo_digits (d) VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9);

CREATE TABLE customers (
    id INTEGER NOT NULL PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    email VARCHAR(200) NOT NULL,
    country VARCHAR(2) NOT NULL,
    created_day INTEGER NOT NULL
);

CREATE TABLE products (
    id INTEGER NOT NULL PRIMARY KEY,
    sku VARCHAR(32) NOT NULL,
    title VARCHAR(200) NOT NULL,
    price_cents INTEGER NOT NULL
);

CREATE TABLE orders (
    id INTEGER NOT NULL PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    status VARCHAR(16) NOT NULL,
    ordered_day INTEGER NOT NULL
);

CREATE TABLE order_items (
    id INTEGER NOT NULL PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders (id),
    product_id INTEGER NOT NULL REFERENCES products (id),
    quantity INTEGER NOT NULL,
    price_cents INTEGER NOT NULL
);

-- 20,000 customers
INSERT INTO customers (id, name, email, country, created_day)
SELECT n,
       CONCAT('Customer ', n),
       CONCAT('customer', n, '@example.com'),
       CASE n % 5 WHEN 0 THEN 'DE' WHEN 1 THEN 'FR' WHEN 2 THEN 'US' WHEN 3 THEN 'JP' ELSE 'BR' END,
       n % 1000
FROM (SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d + 1 AS n
      FROM demo_digits a, demo_digits b, demo_digits c, demo_digits e, demo_digits f) s
WHERE n <= 20000;

-- 1,000 products
INSERT INTO products (id, sku, title, price_cents)
SELECT n, CONCAT('SKU-', n), CONCAT('Product ', n), 100 + (n * 37) % 9900
FROM (SELECT a.d + 10 * b.d + 100 * c.d + 1 AS n FROM demo_digits a, demo_digits b, demo_digits c) s;

-- 60,000 orders
INSERT INTO orders (id, customer_id, status, ordered_day)
SELECT n,
       (n * 7919) % 20000 + 1,
       CASE n % 10 WHEN 0 THEN 'cancelled' WHEN 1 THEN 'pending' ELSE 'shipped' END,
       n % 1000
FROM (SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d + 1 AS n
      FROM demo_digits a, demo_digits b, demo_digits c, demo_digits e, demo_digits f) s
WHERE n <= 60000;

-- 120,000 order items: two per order
INSERT INTO order_items (id, order_id, product_id, quantity, price_cents)
SELECT o.id * 2 - k.d, o.id, (o.id * 31 + k.d * 17) % 1000 + 1, 1 + (o.id + k.d) % 4, 100 + ((o.id + k.d) * 37) % 9900
FROM orders o, demo_digits k
WHERE k.d < 2;
