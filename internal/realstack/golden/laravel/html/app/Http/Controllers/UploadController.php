<?php

namespace App\Http\Controllers;

use Illuminate\Http\Request;
use Illuminate\Routing\Controller;
use RuntimeException;

// Stores the raw request body in the uploads bucket the way the AWS SDK
// does behind Laravel's s3 disk (neither is packaged in Debian): keys from
// the disk's configuration if it has any, else the instance role's from
// IMDSv2, and a SigV4-signed PUT made by libcurl.
class UploadController extends Controller
{
    private const IMDS = 'http://169.254.169.254';

    public function store(Request $request)
    {
        $disk = config('filesystems.disks.s3');
        $key = 'uploads/'.bin2hex(random_bytes(8)).'.txt';
        $server = gethostname();

        try {
            [$credentials, $source] = $this->credentials($disk);
            [$status, $answer] = $this->put($disk, $credentials, $key, $request->getContent());
        } catch (RuntimeException $e) {
            return response()->json(['key' => $key, 'error' => $e->getMessage(), 'server' => $server], 502);
        }

        $out = ['key' => $key, 'status' => $status, 'server' => $server, 'credentials' => $source];
        if ($status < 200 || $status > 299) {
            $out['error'] = $answer;

            return response()->json($out, 502);
        }

        return response()->json($out);
    }

    // As the SDK's default chain on EC2: keys in the configuration win
    // (Laravel passes key/secret to the SDK when both are set), then the
    // instance profile through IMDSv2.
    private function credentials(array $disk): array
    {
        if (! empty($disk['key']) && ! empty($disk['secret'])) {
            return [['AccessKeyId' => $disk['key'], 'SecretAccessKey' => $disk['secret'], 'Token' => $disk['token'] ?? null], 'config'];
        }
        [$status, $token] = $this->http('PUT', self::IMDS.'/latest/api/token', ['X-aws-ec2-metadata-token-ttl-seconds: 21600']);
        if ($status !== 200 || $token === '') {
            throw new RuntimeException("IMDSv2 token: HTTP $status");
        }
        $auth = ["X-aws-ec2-metadata-token: $token"];
        $base = self::IMDS.'/latest/meta-data/iam/security-credentials/';
        [$status, $roles] = $this->http('GET', $base, $auth);
        $role = trim(strtok($roles, "\n") ?: '');
        if ($status !== 200 || $role === '') {
            throw new RuntimeException("IMDS: no instance role (HTTP $status)");
        }
        [$status, $json] = $this->http('GET', $base.rawurlencode($role), $auth);
        $creds = json_decode($json, true);
        if ($status !== 200 || ! is_array($creds) || empty($creds['AccessKeyId']) || empty($creds['SecretAccessKey'])) {
            throw new RuntimeException("IMDS: no credentials for role $role (HTTP $status)");
        }

        return [$creds, 'instance-role'];
    }

    // Virtual-hosted style unless use_path_style_endpoint, as the SDK: the
    // regional endpoint, or the disk's endpoint when one is configured.
    private function url(array $disk, string $key): string
    {
        $bucket = $disk['bucket'];
        $region = $disk['region'];
        $endpoint = rtrim($disk['endpoint'] ?? '', '/') ?: "https://s3.$region.amazonaws.com";
        $path = implode('/', array_map('rawurlencode', explode('/', $key)));
        if (! empty($disk['use_path_style_endpoint'])) {
            return "$endpoint/".rawurlencode($bucket)."/$path";
        }
        $parts = parse_url($endpoint);
        $port = isset($parts['port']) ? ':'.$parts['port'] : '';

        return $parts['scheme'].'://'.$bucket.'.'.$parts['host'].$port."/$path";
    }

    private function put(array $disk, array $creds, string $key, string $body): array
    {
        $headers = [
            'Content-Type: text/plain',
            'x-amz-content-sha256: '.hash('sha256', $body),
        ];
        if (! empty($creds['Token'])) {
            $headers[] = 'X-Amz-Security-Token: '.$creds['Token'];
        }

        return $this->http('PUT', $this->url($disk, $key), $headers, $body, [
            CURLOPT_AWS_SIGV4 => 'aws:amz:'.$disk['region'].':s3',
            CURLOPT_USERPWD => $creds['AccessKeyId'].':'.$creds['SecretAccessKey'],
        ]);
    }

    private function http(string $method, string $url, array $headers, ?string $body = null, array $options = []): array
    {
        $ch = curl_init($url);
        curl_setopt_array($ch, $options + [
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_HTTPHEADER => $headers,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_CONNECTTIMEOUT => 2,
            CURLOPT_TIMEOUT => 10,
        ]);
        if ($body !== null) {
            curl_setopt($ch, CURLOPT_POSTFIELDS, $body);
        }
        $answer = curl_exec($ch);
        $status = (int) curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
        $error = curl_error($ch);
        curl_close($ch);
        if ($answer === false) {
            throw new RuntimeException("$method $url: $error");
        }

        return [$status, $answer];
    }
}
