ALTER TABLE "llm_config" ADD COLUMN "api_key_version" bigint;--> statement-breakpoint
ALTER TABLE "llm_config_history" ADD COLUMN "restored_from" bigint;--> statement-breakpoint
-- A key stored before this migration counts as set at the current version.
UPDATE "llm_config" SET "api_key_version" = "version" WHERE "api_key" IS NOT NULL;
