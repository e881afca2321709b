<?php

// What the tier's README tells teams to write: the framework's TrustProxies
// middleware reads this when the app sets no proxies itself. A
// comma-separated list of addresses or CIDRs (the VPC's).

return [
    'proxies' => env('TRUSTED_PROXIES'),
];
