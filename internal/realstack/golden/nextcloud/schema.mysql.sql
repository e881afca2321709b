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
