-- Reverts 0002_history_and_version: the change history and the version counter go.
ALTER TABLE "llm_config" DROP COLUMN IF EXISTS "version";
--> statement-breakpoint
DROP TABLE IF EXISTS "llm_config_history";
