<?php

namespace App\Http\Controllers;

use Illuminate\Http\Request;
use Illuminate\Routing\Controller;
use Illuminate\Support\Facades\DB;
use Throwable;

// What the harness asks each server: is it up, how does it see the request
// and its settings, does its database connection use TLS, do sessions hold.
class ProbeController extends Controller
{
    public function up()
    {
        return response('ok', 200, ['Content-Type' => 'text/plain']);
    }

    public function whoami(Request $request)
    {
        $default = config('database.default');
        $out = [
            'server' => gethostname(),
            'addr' => $request->server('SERVER_ADDR'),
            'scheme' => $request->getScheme(),
            'client_ip' => $request->ip(),
            'url' => url('/'),
            'config_cached' => app()->configurationIsCached(),
            'app_env' => config('app.env'),
            'app_debug' => config('app.debug'),
            'app_url' => config('app.url'),
            'db_connection' => $default,
            'db_host' => config("database.connections.$default.host"),
            'session_driver' => config('session.driver'),
            'cache_store' => config('cache.default'),
            'session_domain' => config('session.domain'),
            // Settings from the template and secrets read at boot, as the
            // cached configuration holds them; a secret only as its hash.
            'mail_mailer' => config('mail.default'),
            'mail_from_name' => config('mail.from.name'),
            'mail_username' => config('mail.mailers.smtp.username'),
            'mail_password_sha256' => hash('sha256', (string) config('mail.mailers.smtp.password')),
            // The release this code came from (the file RELEASE a release
            // archive carries), null for the AMI's own code.
            'release' => is_file(base_path('RELEASE')) ? trim(file_get_contents(base_path('RELEASE'))) : null,
        ];
        // The cipher of this app's own connection, null when it is plaintext;
        // a failed connection is reported, not raised: the answer stays 200.
        try {
            $db = DB::connection();
            if ($db->getDriverName() === 'pgsql') {
                $row = $db->selectOne('select ssl, cipher from pg_stat_ssl where pid = pg_backend_pid()');
                $out['db_tls'] = ($row && $row->ssl) ? $row->cipher : null;
            } else {
                $row = $db->selectOne("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
                $out['db_tls'] = ($row && $row->Value !== '') ? $row->Value : null;
            }
        } catch (Throwable $e) {
            $out['db_error'] = $e->getMessage();
        }

        return response()->json($out);
    }

    public function session(Request $request)
    {
        $count = (int) $request->session()->get('count', 0) + 1;
        $request->session()->put('count', $count);

        return response()->json(['count' => $count, 'server' => gethostname()]);
    }
}
