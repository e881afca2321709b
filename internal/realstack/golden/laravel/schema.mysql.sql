-- The tables the fixture app needs, as Laravel 11's migrations create them
-- (sessions: 0001_01_01_000000; cache, cache_locks: 0001_01_01_000001), plus
-- the scheduler's record. For MySQL and MariaDB; load into the database "app".

CREATE TABLE IF NOT EXISTS sessions (
  id VARCHAR(255) NOT NULL,
  user_id BIGINT UNSIGNED NULL,
  ip_address VARCHAR(45) NULL,
  user_agent TEXT NULL,
  -- LONGTEXT: a shorter column truncates large sessions (laravel/framework#42782).
  payload LONGTEXT NOT NULL,
  last_activity INT NOT NULL,
  PRIMARY KEY (id),
  KEY sessions_user_id_index (user_id),
  KEY sessions_last_activity_index (last_activity)
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS cache (
  `key` VARCHAR(255) NOT NULL,
  value MEDIUMTEXT NOT NULL,
  expiration INT NOT NULL,
  PRIMARY KEY (`key`)
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS cache_locks (
  `key` VARCHAR(255) NOT NULL,
  owner VARCHAR(255) NOT NULL,
  expiration INT NOT NULL,
  PRIMARY KEY (`key`)
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per schedule:run and server (app/Console/Kernel.php).
CREATE TABLE IF NOT EXISTS scheduled_runs (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  host VARCHAR(255) NOT NULL,
  ran_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id)
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per run of a queued job (app/Jobs/RecordRun.php): which worker
-- ran it, which attempt, when it started and finished.
CREATE TABLE IF NOT EXISTS queued_runs (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  job VARCHAR(255) NOT NULL,
  host VARCHAR(255) NOT NULL,
  app_release VARCHAR(255) NULL,
  attempt INT NOT NULL,
  started_at DATETIME(3) NOT NULL,
  finished_at DATETIME(3) NULL,
  PRIMARY KEY (id)
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
