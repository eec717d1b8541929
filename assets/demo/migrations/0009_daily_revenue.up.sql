-- Complex: a reporting table rebuilt from 60,000 orders.
CREATE TABLE daily_revenue (
    day INTEGER NOT NULL PRIMARY KEY,
    orders INTEGER NOT NULL,
    revenue_cents BIGINT NOT NULL
);
INSERT INTO daily_revenue (day, orders, revenue_cents)
SELECT ordered_day, COUNT(*), SUM(total_cents)
FROM orders
WHERE status = 'shipped'
GROUP BY ordered_day;
