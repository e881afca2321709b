-- Tables the Nextcloud stand-in uses (dbtableprefix oc_), for MariaDB/MySQL.
-- cron_runs: one row per cron.php run; filecache: file ids of uploads
-- (objects are urn:oid:<fileid>, as Nextcloud names them).
CREATE TABLE IF NOT EXISTS oc_cron_runs (
  host VARCHAR(255) NOT NULL,
  ran_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS oc_filecache (
  fileid BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  path VARCHAR(4000) NOT NULL,
  size BIGINT NOT NULL,
  mtime BIGINT NOT NULL
);
-- migrations: MigrationService's record of the migrations that ran (occ
-- upgrade); the golden server's Nextcloud 29 ran core's last one.
CREATE TABLE IF NOT EXISTS oc_migrations (
  app VARCHAR(255) NOT NULL,
  version VARCHAR(255) NOT NULL,
  PRIMARY KEY (app, version)
);
INSERT INTO oc_migrations (app, version) VALUES ('core', '29000Date20240124132201');
-- e2e_occ_runs: the stand-in's occ records each command it ran (the test's
-- record, not Nextcloud's): host, command, start time (epoch seconds).
CREATE TABLE IF NOT EXISTS oc_e2e_occ_runs (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  host VARCHAR(255) NOT NULL,
  command VARCHAR(255) NOT NULL,
  at VARCHAR(32) NOT NULL
);
