# The database requires TLS (require_secure_transport / rds.force_ssl), and
# PHP checks the server's certificate against this bundle. It is fetched at
# every boot because RDS rotates its authorities; a bundle the AMI already
# carries is kept if the download fails. TIERKIT_RDS_CA_URL lets tests serve
# it; on EC2 it is unset. URL and FILE are set by CABundleStep.
url=${TIERKIT_RDS_CA_URL:-$url}
mkdir -p "${file%/*}"
tmp=$(mktemp "$file.XXXXXX")
if curl -fsSL --max-time 60 --retry 5 -o "$tmp" "$url" && grep -q 'BEGIN CERTIFICATE' "$tmp"; then
  chmod 0644 "$tmp"
  mv -f -- "$tmp" "$file"
else
  rm -f -- "$tmp"
  grep -q 'BEGIN CERTIFICATE' "$file" 2>/dev/null || die "no RDS CA bundle: $url failed, none in the AMI"
  log "$url failed; keeping the AMI's bundle"
fi
