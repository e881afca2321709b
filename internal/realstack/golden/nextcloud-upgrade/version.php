<?php
// The newer Nextcloud's version.php (the e2e test's release): the code's
// version, and the versions it upgrades from (Updater::isUpgradePossible).
$OC_Version = [30, 0, 0, 14];
$OC_VersionString = '30.0.0';
$OC_Edition = '';
$OC_Channel = 'stable';
$OC_VersionCanBeUpgradedFrom = [
	'nextcloud' => [
		'29.0' => true,
		'30.0' => true,
	],
	'owncloud' => [
		'10.13' => true,
	],
];
$OC_Build = '2024-09-14T12:00:00+00:00 e2e';
$vendor = 'nextcloud';
