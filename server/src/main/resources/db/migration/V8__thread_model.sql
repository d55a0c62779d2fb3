-- Several models in one server: a thread keeps the model its turns run on (set on create or PATCH, or
-- remembered from the first turn that names one); null: the server's default model. Portable SQL (SQLite
-- and PostgreSQL).
ALTER TABLE conversations ADD COLUMN model VARCHAR(256);
