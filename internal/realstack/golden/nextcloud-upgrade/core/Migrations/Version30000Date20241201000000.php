<?php
// A core migration of the newer Nextcloud, as the stand-in's occ upgrade
// runs it: SQL for each dbtype ({prefix} is dbtableprefix, :host the
// upgrading server's hostname). It creates a table and records the server
// that ran it: a second run would fail on the existing table.
return [
	'mysql' => [
		'CREATE TABLE {prefix}e2e_upgraded (host VARCHAR(255) NOT NULL, upgraded_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)',
		'INSERT INTO {prefix}e2e_upgraded (host) VALUES (:host)',
	],
	'pgsql' => [
		'CREATE TABLE {prefix}e2e_upgraded (host VARCHAR(255) NOT NULL, upgraded_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)',
		'INSERT INTO {prefix}e2e_upgraded (host) VALUES (:host)',
	],
];
