-- Reverts 0003_api_key_version_and_restored_from: the key's version and the restores' origin go.
ALTER TABLE "llm_config" DROP COLUMN IF EXISTS "api_key_version";
--> statement-breakpoint
ALTER TABLE "llm_config_history" DROP COLUMN IF EXISTS "restored_from";
