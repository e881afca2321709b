package boot_test

import (
	"fmt"

	"github.com/tierkit/tierkit/constructs/boot"
)

func ExampleNew() {
	// The AMI was made from the server at 10.0.1.25 (the articles' server 1).
	script := boot.New(&boot.Props{
		GoldenIP:  "10.0.1.25",
		IPFiles:   []string{"/etc/hosts", "/etc/apache2/sites-available/api.example.com.conf"},
		WebServer: "apache2",
	})
	// A tier step: values are quoted, paths prefixed with $ROOT.
	script.AddStep("laravel-env", `sed -i "s|^APP_URL=.*|APP_URL="`+boot.Quote("https://api.example.com")+`"|" "$ROOT/var/www/api/.env"
sudo -u www-data php /var/www/api/artisan config:cache`)
	userData := script.Render()
	fmt.Println(len(userData) < boot.MaxUserDataBytes)
	// Output: true
}
