CREATE TABLE items (id bigint, name text, price double precision, embedding vector(3));
INSERT INTO items VALUES (1, 'apple', 1.25, '[1,0,0]'), (2, 'pear', 0.5, '[0,1,0]'), (3, 'plum', NULL, '[0,0,1]');
SELECT id, name, price FROM items ORDER BY id;
SELECT id, embedding <-> '[0.9,0.1,0]' AS distance FROM items ORDER BY distance LIMIT 2;
\pset null '(null)'
SELECT name, price FROM items WHERE price IS NULL;
SELECT * FROM nosuchtable;
SELECT 1 / 0;
BEGIN;
UPDATE items SET price = 2 WHERE id = 3;
SELECT count(*) FROM items WHERE price IS NOT NULL;
ROLLBACK;
SELECT count(*) FROM items WHERE price IS NOT NULL;
SELECT version FROM lance_versions('items') ORDER BY version;
DROP TABLE items;
