package boot_test

import (
	"fmt"
	"strings"

	"github.com/tierkit/tierkit/constructs/boot"
)

func ExampleNew() {
	// The AMI was made from the server at 10.0.1.25 (the articles' server 1).
	script := boot.New(&boot.Props{
		GoldenIP:        "10.0.1.25",
		IPFiles:         []string{"/etc/hosts", "/etc/apache2/sites-available/api.example.com.conf"},
		WebServer:       "apache2",
		HealthCheckPath: "/up",
	})
	// A tier step: values are quoted, paths prefixed with $ROOT. The
	// database host is a CDK token, resolved at deploy time.
	dbHost := "${Token[TOKEN.42]}"
	script.AddStep("laravel-env", `sed -i "s|^DB_HOST=.*|DB_HOST="`+boot.Quote(dbHost)+`"|" "$ROOT/var/www/api/.env"
sudo -u www-data php /var/www/api/artisan config:cache`)

	// The boot script goes to S3 with a placeholder for the token; the user
	// data is the loader, which carries the token and the script's SHA-256.
	artifact := script.Artifact([]string{dbHost})
	userData := script.Loader(artifact, boot.Location{Bucket: "assets-bucket", Key: artifact.SHA256 + ".sh", Stack: "api"})
	fmt.Println(strings.Contains(artifact.Script, `DB_HOST="'@tierkit:1@'"`))
	fmt.Println(strings.Contains(userData, boot.Quote(dbHost)), strings.Contains(userData, artifact.SHA256))
	fmt.Println(len(userData) < boot.MaxUserDataBytes/2)
	// Output:
	// true
	// true true
	// true
}
