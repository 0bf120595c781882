CREATE TABLE "llm_config" (
	"id" serial PRIMARY KEY NOT NULL,
	"provider" varchar(50) DEFAULT 'local' NOT NULL,
	"api_key" varchar(255),
	"api_url" varchar(255),
	"model_tagger" varchar(100) DEFAULT 'phi3' NOT NULL,
	"model_enricher" varchar(100) DEFAULT 'llama3' NOT NULL,
	"model_analytics" varchar(100) DEFAULT 'llama3' NOT NULL,
	"model_responder" varchar(100),
	"enabled" boolean DEFAULT false NOT NULL,
	"auto_tagging" boolean DEFAULT true NOT NULL,
	"auto_enrichment" boolean DEFAULT true NOT NULL,
	"external_enrichment" boolean DEFAULT false NOT NULL,
	"max_retries" integer DEFAULT 3 NOT NULL,
	"retry_delay" integer DEFAULT 300 NOT NULL,
	"backup_provider" varchar(50),
	"backup_model" varchar(100),
	"batch_size" integer DEFAULT 5 NOT NULL,
	"concurrent_tasks" integer DEFAULT 2 NOT NULL,
	"cache_responses" boolean DEFAULT true NOT NULL,
	"min_confidence_tagging" double precision DEFAULT 0.7 NOT NULL,
	"min_confidence_entity" double precision DEFAULT 0.8 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "ix_llm_config_id" ON "llm_config" USING btree ("id");