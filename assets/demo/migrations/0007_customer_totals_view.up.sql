CREATE VIEW customer_totals AS
SELECT c.id AS customer_id, c.country, COUNT(o.id) AS orders, SUM(o.total_cents) AS total_cents
FROM customers c
LEFT JOIN orders o ON o.customer_id = c.id AND o.status <> 'cancelled'
GROUP BY c.id, c.country;
