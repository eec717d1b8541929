DROP TABLE daily_revenue;
