-- The tables the fixture app needs, as Laravel 11's migrations create them
-- on PostgreSQL (longText and mediumText are text), plus the scheduler's
-- record. Load into the database "app".

CREATE TABLE IF NOT EXISTS sessions (
  id VARCHAR(255) NOT NULL PRIMARY KEY,
  user_id BIGINT NULL,
  ip_address VARCHAR(45) NULL,
  user_agent TEXT NULL,
  payload TEXT NOT NULL,
  last_activity INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user_id_index ON sessions (user_id);
CREATE INDEX IF NOT EXISTS sessions_last_activity_index ON sessions (last_activity);

CREATE TABLE IF NOT EXISTS cache (
  key VARCHAR(255) NOT NULL PRIMARY KEY,
  value TEXT NOT NULL,
  expiration INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS cache_locks (
  key VARCHAR(255) NOT NULL PRIMARY KEY,
  owner VARCHAR(255) NOT NULL,
  expiration INTEGER NOT NULL
);

-- One row per schedule:run and server (app/Console/Kernel.php).
CREATE TABLE IF NOT EXISTS scheduled_runs (
  id BIGSERIAL PRIMARY KEY,
  host VARCHAR(255) NOT NULL,
  ran_at TIMESTAMP(0) WITHOUT TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- One row per run of a queued job (app/Jobs/RecordRun.php): which worker
-- ran it, which attempt, when it started and finished.
CREATE TABLE IF NOT EXISTS queued_runs (
  id BIGSERIAL PRIMARY KEY,
  job VARCHAR(255) NOT NULL,
  host VARCHAR(255) NOT NULL,
  app_release VARCHAR(255) NULL,
  attempt INTEGER NOT NULL,
  started_at TIMESTAMP(3) WITHOUT TIME ZONE NOT NULL,
  finished_at TIMESTAMP(3) WITHOUT TIME ZONE NULL
);
