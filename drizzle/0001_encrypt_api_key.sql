ALTER TABLE "llm_config" ALTER COLUMN "api_key" SET DATA TYPE varchar(2048);--> statement-breakpoint
ALTER TABLE "llm_config" ADD COLUMN "api_key_hint" varchar(16);