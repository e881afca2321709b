<?php

namespace App\Http\Middleware;

use Illuminate\Http\Middleware\TrustProxies as Middleware;
use Illuminate\Http\Request;

// No $proxies here: the framework's middleware then reads
// config('trustedproxy.proxies'), the comma-separated CIDRs of
// TRUSTED_PROXIES (config/trustedproxy.php), which survives config:cache.
// The headers are what the tier's README tells teams to trust behind an
// ALB: X-Forwarded-For, -Proto and -Port.
class TrustProxies extends Middleware
{
    protected $headers = Request::HEADER_X_FORWARDED_AWS_ELB;
}
