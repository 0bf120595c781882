-- Reverts 0000_create_llm_config: the index first, then the table (as the original downgrade()).
DROP INDEX IF EXISTS "ix_llm_config_id";
--> statement-breakpoint
DROP TABLE IF EXISTS "llm_config";
