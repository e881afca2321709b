<?php
// Nextcloud's version.php as a release ships it: the code's version, which
// OC_Util::getVersion reads, and the versions Updater::isUpgradePossible
// accepts an upgrade from (major.minor of config.php's 'version').
$OC_Version = [29, 0, 0, 19];
$OC_VersionString = '29.0.0';
$OC_Edition = '';
$OC_Channel = 'stable';
$OC_VersionCanBeUpgradedFrom = [
	'nextcloud' => [
		'28.0' => true,
		'29.0' => true,
	],
	'owncloud' => [
		'10.13' => true,
	],
];
$OC_Build = '2024-04-03T12:00:00+00:00 golden';
$vendor = 'nextcloud';
