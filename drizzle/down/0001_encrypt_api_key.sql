-- Reverts 0001_encrypt_api_key. The stored key is ciphertext that SQL cannot decrypt, and the
-- code before this migration would take ciphertext for the key itself: the key is cleared.
-- Set it again after rolling back.
UPDATE "llm_config" SET "api_key" = NULL WHERE "api_key" LIKE 'llmcfg:v1:%';
--> statement-breakpoint
ALTER TABLE "llm_config" DROP COLUMN IF EXISTS "api_key_hint";
--> statement-breakpoint
ALTER TABLE "llm_config" ALTER COLUMN "api_key" SET DATA TYPE varchar(255);
