CREATE TABLE "llm_config_history" (
	"version" bigint PRIMARY KEY NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" varchar(100) NOT NULL,
	"action" varchar(16) NOT NULL,
	"changes" jsonb NOT NULL,
	"snapshot" jsonb NOT NULL,
	CONSTRAINT "llm_config_history_action_check" CHECK ("llm_config_history"."action" in ('create', 'update', 'reset', 'restore', 'rotate'))
);
--> statement-breakpoint
ALTER TABLE "llm_config" ADD COLUMN "version" bigint DEFAULT 1 NOT NULL;